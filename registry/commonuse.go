package registry

import (
	"slices"
	"strings"

	"github.com/portolan-dev/portolan"
)

// CommonUses returns the curated de-facto uses of port p (3000: Node dev
// servers and Grafana; 9200: Elasticsearch). They are never IANA data: the
// CLI and the API show them under "common use", each with its source.
func (r *Registry) CommonUses(p portolan.Port) []portolan.CommonUse {
	return CommonUsesOf(p)
}

// CommonUsesOf is CommonUses without a registry.
func CommonUsesOf(p portolan.Port) []portolan.CommonUse {
	var out []portolan.CommonUse
	for _, c := range commonUses {
		if c.Ports.Contains(p) {
			out = append(out, c)
		}
	}
	return out
}

// AllCommonUses returns the whole curated table, ordered by port.
func AllCommonUses() []portolan.CommonUse { return slices.Clone(commonUses) }

func cu(ports string, proto portolan.Proto, name, desc, source string) portolan.CommonUse {
	return portolan.CommonUse{Ports: portolan.MustParseRange(ports), Proto: proto, Name: name, Desc: desc, Source: source}
}

const (
	tcp  = portolan.TCP
	udp  = portolan.UDP
	both = portolan.ProtoAny
)

// commonUses is the curated layer: uses seen everywhere in practice that
// IANA does not list, or lists for something else, or lists under another
// name. Each row says where the fact comes from (the project's own docs or
// defaults). Keep it ordered by port.
var commonUses = []portolan.CommonUse{
	cu("1080", tcp, "socks-proxy", "SOCKS proxies (ssh -D, Dante, Shadowsocks clients)", "OpenSSH ssh(1) -D examples; Dante docs"),
	cu("1194", udp, "openvpn", "OpenVPN server default", "OpenVPN manual: --port default 1194"),
	cu("1313", tcp, "hugo", "Hugo development server", "Hugo docs: hugo server --port default 1313"),
	cu("1433", tcp, "mssql", "Microsoft SQL Server default instance", "Microsoft SQL Server docs: default TCP port 1433"),
	cu("1521", tcp, "oracle-db", "Oracle Database listener (IANA lists ncube-lm)", "Oracle Net Services docs: default listener port 1521"),
	cu("1880", tcp, "node-red", "Node-RED editor and HTTP endpoints", "Node-RED docs: uiPort default 1880"),
	cu("1883", tcp, "mqtt", "MQTT brokers (Mosquitto, EMQX, HiveMQ), plain TCP", "Eclipse Mosquitto docs: listener default 1883"),
	cu("2181", tcp, "zookeeper", "Apache ZooKeeper client port (IANA lists eforward)", "ZooKeeper admin guide: clientPort 2181"),
	cu("2345", tcp, "delve", "Go Delve debugger, headless mode convention", "Delve docs: dlv --headless --listen=:2345 examples"),
	cu("2375", tcp, "docker-api", "Docker Engine API without TLS (unsafe on a network)", "Docker docs: dockerd -H tcp://0.0.0.0:2375"),
	cu("2376", tcp, "docker-api-tls", "Docker Engine API with TLS", "Docker docs: protect the daemon socket, port 2376"),
	cu("3000", tcp, "node-dev", "Node.js/Express, Next.js, Create React App and Rails dev servers (IANA lists hbci)", "Express and Next.js docs: default port 3000; Rails guides"),
	cu("3000", tcp, "grafana", "Grafana web UI", "Grafana docs: [server] http_port default 3000"),
	cu("3100", tcp, "loki", "Grafana Loki HTTP API", "Grafana Loki docs: http_listen_port default 3100"),
	cu("3128", tcp, "squid", "Squid HTTP proxy (IANA lists ndl-aas)", "Squid docs: http_port default 3128"),
	cu("3306", tcp, "mysql", "MySQL and MariaDB server", "MySQL reference manual: default port 3306"),
	cu("3389", tcp, "rdp", "Windows Remote Desktop (IANA name ms-wbt-server)", "Microsoft docs: RDP listens on 3389"),
	cu("4000", tcp, "jekyll", "Jekyll and Phoenix development servers", "Jekyll docs: jekyll serve port 4000; Phoenix guides"),
	cu("4040", tcp, "spark-ui", "Apache Spark application web UI", "Apache Spark monitoring docs: port 4040"),
	cu("4173", tcp, "vite-preview", "Vite preview server", "Vite docs: preview.port default 4173"),
	cu("4200", tcp, "angular", "Angular CLI development server (ng serve)", "Angular CLI docs: ng serve --port default 4200"),
	cu("4222", tcp, "nats", "NATS client connections", "NATS docs: default client port 4222"),
	cu("4317", tcp, "otlp-grpc", "OpenTelemetry OTLP over gRPC", "OpenTelemetry OTLP specification: default port 4317"),
	cu("4318", tcp, "otlp-http", "OpenTelemetry OTLP over HTTP", "OpenTelemetry OTLP specification: default port 4318"),
	cu("4444", tcp, "selenium", "Selenium Grid hub and standalone server", "Selenium Grid docs: default port 4444"),
	cu("4646", tcp, "nomad", "HashiCorp Nomad HTTP API and UI", "Nomad docs: ports.http default 4646"),
	cu("5000", tcp, "flask", "Flask development server", "Flask docs: flask run default port 5000"),
	cu("5000", tcp, "docker-registry", "Docker Registry (distribution) HTTP API", "Docker docs: deploy a registry server, -p 5000:5000"),
	cu("5000", tcp, "airplay", "macOS AirPlay Receiver (Monterey and later) holds 5000 and 7000", "Apple support: AirPlay Receiver uses ports 5000 and 7000"),
	cu("5005", tcp, "jdwp", "Java debugger (JDWP) agent, conventional port", "JDK docs: -agentlib:jdwp address=5005 examples"),
	cu("5173", tcp, "vite", "Vite development server (IANA: unassigned)", "Vite docs: server.port default 5173"),
	cu("5432", tcp, "postgresql", "PostgreSQL server", "PostgreSQL docs: port default 5432"),
	cu("5500", tcp, "live-server", "VS Code Live Server extension", "Live Server extension settings: liveServer.settings.port 5500"),
	cu("5601", tcp, "kibana", "Kibana web UI (also OpenSearch Dashboards)", "Kibana docs: server.port default 5601"),
	cu("5672", tcp, "rabbitmq", "RabbitMQ AMQP 0-9-1 and 1.0 listener", "RabbitMQ networking guide: 5672"),
	cu("5678", tcp, "debugpy", "Python debugpy, conventional port", "debugpy README: --listen 5678 examples"),
	cu("5900", tcp, "vnc", "VNC servers, display :0 (IANA name rfb)", "RFC 6143: VNC servers listen on 5900+N"),
	cu("5984", tcp, "couchdb", "Apache CouchDB HTTP API", "CouchDB docs: default port 5984"),
	cu("6006", tcp, "tensorboard", "TensorBoard web UI", "TensorBoard docs: --port default 6006"),
	cu("6006", tcp, "storybook", "Storybook development server", "Storybook docs: storybook dev -p 6006"),
	cu("6379", tcp, "redis", "Redis and Valkey server", "Redis docs: port default 6379"),
	cu("6443", tcp, "kube-apiserver", "Kubernetes API server (IANA lists sun-sr-https)", "Kubernetes docs: Ports and Protocols, 6443"),
	cu("6650", tcp, "pulsar", "Apache Pulsar binary protocol", "Apache Pulsar docs: brokerServicePort 6650"),
	cu("6881-6889", both, "bittorrent", "BitTorrent clients' traditional listening range", "BitTorrent protocol history; client defaults (e.g. 6881)"),
	cu("7077", tcp, "spark-master", "Apache Spark standalone master", "Apache Spark standalone docs: port 7077"),
	cu("7474", tcp, "neo4j-http", "Neo4j Browser and HTTP API", "Neo4j operations manual: 7474"),
	cu("7687", tcp, "neo4j-bolt", "Neo4j Bolt protocol", "Neo4j operations manual: 7687"),
	cu("7777", both, "game-server", "Terraria and Unreal Engine dedicated servers", "Terraria server config: port 7777; Unreal Engine docs"),
	cu("7860", tcp, "gradio", "Gradio apps (Hugging Face demos)", "Gradio docs: server_port default 7860"),
	cu("8000", tcp, "django", "Django runserver and python -m http.server", "Django docs: runserver 8000; Python docs: http.server default 8000"),
	cu("8001", tcp, "kubectl-proxy", "kubectl proxy to the Kubernetes API", "kubectl proxy --help: --port default 8001"),
	cu("8006", tcp, "proxmox", "Proxmox VE web interface", "Proxmox VE admin guide: port 8006"),
	cu("8080", tcp, "http-alt", "HTTP proxies and application servers (Tomcat, Jenkins, many dev servers)", "Apache Tomcat and Jenkins docs: default HTTP port 8080"),
	cu("8081", tcp, "metro", "React Native Metro bundler", "React Native docs: Metro runs on 8081"),
	cu("8086", tcp, "influxdb", "InfluxDB HTTP API", "InfluxDB docs: http-bind-address :8086"),
	cu("8096", tcp, "jellyfin", "Jellyfin media server web UI", "Jellyfin docs: networking, HTTP 8096"),
	cu("8118", tcp, "privoxy", "Privoxy HTTP proxy", "Privoxy user manual: listen-address 127.0.0.1:8118"),
	cu("8123", tcp, "home-assistant", "Home Assistant web UI", "Home Assistant docs: http server_port default 8123"),
	cu("8200", tcp, "vault", "HashiCorp Vault API and UI", "Vault docs: listener tcp address default 127.0.0.1:8200"),
	cu("8384", tcp, "syncthing-gui", "Syncthing web GUI", "Syncthing docs: GUI listen address 127.0.0.1:8384"),
	cu("8443", tcp, "https-alt", "HTTPS alternate (Tomcat TLS, Kubernetes dashboards, UniFi)", "Apache Tomcat docs: SSL connector 8443"),
	cu("8500", tcp, "consul", "HashiCorp Consul HTTP API and UI", "Consul docs: ports.http default 8500"),
	cu("8501", tcp, "streamlit", "Streamlit apps", "Streamlit docs: server.port default 8501"),
	cu("8787", tcp, "rstudio", "RStudio Server", "Posit docs: RStudio Server www-port default 8787"),
	cu("8883", tcp, "mqtt-tls", "MQTT over TLS", "Eclipse Mosquitto docs: TLS listener 8883"),
	cu("8888", tcp, "jupyter", "Jupyter Notebook and JupyterLab", "Jupyter server docs: ServerApp.port default 8888"),
	cu("9000", tcp, "php-fpm", "PHP-FPM FastCGI listener", "PHP-FPM default pool config: listen 127.0.0.1:9000"),
	cu("9000", tcp, "minio", "MinIO S3 API", "MinIO docs: server --address :9000"),
	cu("9000", tcp, "sonarqube", "SonarQube web server", "SonarQube docs: sonar.web.port default 9000"),
	cu("9001", tcp, "minio-console", "MinIO console", "MinIO docs: --console-address :9001 examples"),
	cu("9042", tcp, "cassandra", "Apache Cassandra CQL native transport", "Cassandra docs: native_transport_port 9042"),
	cu("9050", tcp, "tor-socks", "Tor SOCKS proxy", "Tor manual: SocksPort default 9050"),
	cu("9051", tcp, "tor-control", "Tor control port", "Tor manual: ControlPort 9051 convention"),
	cu("9090", tcp, "prometheus", "Prometheus server UI and API (IANA lists websm)", "Prometheus docs: --web.listen-address default :9090"),
	cu("9091", tcp, "pushgateway", "Prometheus Pushgateway", "Prometheus default port allocations wiki: 9091"),
	cu("9091", tcp, "transmission", "Transmission BitTorrent web UI / RPC", "Transmission docs: rpc-port default 9091"),
	cu("9092", tcp, "kafka", "Apache Kafka broker (IANA lists XmlIpcRegSvc)", "Apache Kafka docs: listeners default PLAINTEXT://:9092"),
	cu("9093", tcp, "alertmanager", "Prometheus Alertmanager", "Prometheus default port allocations wiki: 9093"),
	cu("9100", tcp, "node-exporter", "Prometheus node_exporter (IANA lists hp-pdl-datastr/pdl-datastream)", "Prometheus node_exporter README: :9100"),
	cu("9200", tcp, "elasticsearch", "Elasticsearch and OpenSearch REST API (IANA lists wap-wsp)", "Elasticsearch docs: http.port default 9200"),
	cu("9222", tcp, "chrome-devtools", "Chrome/Chromium remote debugging (--remote-debugging-port)", "Chrome DevTools Protocol docs: port 9222 examples"),
	cu("9229", tcp, "node-inspect", "Node.js inspector (node --inspect)", "Node.js docs: --inspect default 127.0.0.1:9229"),
	cu("9300", tcp, "elasticsearch-transport", "Elasticsearch node-to-node transport", "Elasticsearch docs: transport.port default 9300"),
	cu("9411", tcp, "zipkin", "Zipkin tracing collector and UI", "Zipkin docs: server listens on 9411"),
	cu("9443", tcp, "portainer", "Portainer web UI over HTTPS", "Portainer docs: -p 9443:9443"),
	cu("9870", tcp, "hdfs-namenode", "Hadoop 3 HDFS NameNode web UI", "Apache Hadoop docs: dfs.namenode.http-address 9870"),
	cu("9987", udp, "teamspeak", "TeamSpeak 3 voice", "TeamSpeak server docs: default voice port 9987/udp"),
	cu("10000", tcp, "webmin", "Webmin administration UI (IANA lists ndmp)", "Webmin docs: default port 10000"),
	cu("10250", tcp, "kubelet", "Kubernetes kubelet API (IANA: unassigned)", "Kubernetes docs: Ports and Protocols, 10250"),
	cu("10256", tcp, "kube-proxy", "Kubernetes kube-proxy health check", "Kubernetes docs: Ports and Protocols, 10256"),
	cu("10257", tcp, "kube-controller-manager", "Kubernetes controller manager (HTTPS)", "Kubernetes docs: Ports and Protocols, 10257"),
	cu("10259", tcp, "kube-scheduler", "Kubernetes scheduler (HTTPS)", "Kubernetes docs: Ports and Protocols, 10259"),
	cu("11211", both, "memcached", "memcached", "memcached docs: -p default 11211"),
	cu("11434", tcp, "ollama", "Ollama local LLM API", "Ollama docs: OLLAMA_HOST default 127.0.0.1:11434"),
	cu("15672", tcp, "rabbitmq-mgmt", "RabbitMQ management UI and HTTP API", "RabbitMQ management plugin docs: 15672"),
	cu("16686", tcp, "jaeger-ui", "Jaeger tracing UI", "Jaeger docs: query service port 16686"),
	cu("19132", udp, "minecraft-bedrock", "Minecraft Bedrock Edition server", "Bedrock Dedicated Server server.properties: server-port 19132"),
	cu("21027", udp, "syncthing-discovery", "Syncthing local discovery broadcasts", "Syncthing docs: firewall setup, 21027/udp"),
	cu("22000", both, "syncthing", "Syncthing file synchronisation", "Syncthing docs: firewall setup, 22000/tcp and udp"),
	cu("25565", tcp, "minecraft", "Minecraft Java Edition server (IANA: unassigned)", "Minecraft server.properties: server-port default 25565"),
	cu("26257", tcp, "cockroachdb", "CockroachDB SQL and inter-node traffic", "CockroachDB docs: --listen-addr default :26257"),
	cu("27015", both, "source-engine", "Valve Source engine and Steam game servers", "Valve developer wiki: Source dedicated server port 27015"),
	cu("27017", tcp, "mongodb", "MongoDB server", "MongoDB docs: default port 27017"),
	cu("30000-32767", tcp, "k8s-nodeport", "Kubernetes NodePort Services range", "Kubernetes docs: --service-node-port-range default 30000-32767"),
	cu("32400", tcp, "plex", "Plex Media Server", "Plex support: port 32400"),
	cu("33060", tcp, "mysqlx", "MySQL X Protocol", "MySQL reference manual: mysqlx_port 33060"),
	cu("41641", udp, "tailscale", "Tailscale WireGuard traffic (tailscaled default)", "Tailscale docs: tailscaled --port default 41641"),
	cu("51820", udp, "wireguard", "WireGuard VPN, conventional ListenPort (IANA: dynamic range)", "WireGuard quick start and wg-quick examples: ListenPort 51820"),
	cu("60000-61000", udp, "mosh", "Mosh (mobile shell) sessions", "mosh(1): server picks a UDP port in 60000-61000"),
	cu("61616", tcp, "activemq", "Apache ActiveMQ OpenWire", "ActiveMQ docs: transportConnector tcp://0.0.0.0:61616"),
	cu("64738", both, "mumble", "Mumble voice chat server", "Mumble docs: murmur.ini port default 64738"),
}

// SearchCommonUses returns the curated common uses whose name and
// description hold every word of q, in any case: the de-facto uses a search
// for "remote desktop" or "vite" must not miss, though IANA lists neither.
// A use named q comes first, then names starting with q, then the rest, each
// in the curated order.
func SearchCommonUses(q string) []portolan.CommonUse {
	words := strings.Fields(strings.ToLower(q))
	if len(words) == 0 {
		return nil
	}
	var out []portolan.CommonUse
	for _, c := range commonUses {
		text := strings.ToLower(c.Name + " " + c.Desc)
		all := true
		for _, w := range words {
			all = all && strings.Contains(text, w)
		}
		if all {
			out = append(out, c)
		}
	}
	name := strings.ToLower(strings.Join(words, "-"))
	rank := func(c portolan.CommonUse) int {
		switch n := strings.ToLower(c.Name); {
		case n == name:
			return 0
		case strings.HasPrefix(n, name):
			return 1
		}
		return 2
	}
	slices.SortStableFunc(out, func(a, b portolan.CommonUse) int { return rank(a) - rank(b) })
	return out
}
