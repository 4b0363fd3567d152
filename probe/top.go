package probe

import (
	"bufio"
	"cmp"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan"
)

// topPorts is portolan's own ordering of TCP ports by how often they are
// open on hosts people scan today: remote access and the web first, then
// mail, directory and file services, databases and caches, developer
// servers (Node 3000, Vite 5173, Django 8000, Jupyter 8888), container and
// cluster control planes (Docker 2375/2376, Kubernetes 6443/10250, etcd
// 2379), message brokers, metrics exporters and game servers that nmap's
// 2008 frequency list ranks low or misses. Each entry is a fact about a
// widely deployed default, not a guess from traffic.
var topPorts = []portolan.Port{
	// remote access, web, name service
	22, 80, 443, 8080, 21, 23, 25, 53, 3389, 5900, 8443, 8000, 3000, 8888, 110, 143, 993, 995, 587, 465,
	// file sharing, directory, Windows, printing
	139, 445, 135, 111, 2049, 389, 636, 88, 464, 3268, 3269, 5985, 5986, 631, 9100, 515, 548, 873, 69, 123,
	// databases and caches
	3306, 5432, 6379, 27017, 1433, 1521, 9042, 5984, 7474, 8529, 11211, 9200, 9300, 8086, 9000, 26257, 28015,
	27018, 33060, 1434, 50000, 7000, 7001, 6380, 5433, 3307, 8123, 9004, 8812,
	// developer servers and proxies
	5173, 4200, 5000, 5001, 8081, 8082, 8008, 8888, 9090, 4000, 3001, 8001, 8010, 8880, 8181, 8088, 8090, 7070,
	1080, 3128, 8118, 9443, 4443, 10443, 8444, 5500, 4173, 6006, 8501, 7860, 11434, 8787, 19999, 24678,
	// containers and clusters
	2375, 2376, 6443, 10250, 10255, 10256, 2379, 2380, 10257, 10259, 30000, 8472, 179, 4789, 9099, 8500, 8300,
	8301, 8302, 8600, 4646, 4647, 4648, 5000, 2377, 7946, 9323, 51820,
	// messaging and streaming
	5672, 15672, 1883, 8883, 9092, 2181, 4222, 6222, 8222, 61616, 61613, 5671, 9093, 9094, 7687, 25672,
	// observability and CI
	9100, 9090, 9091, 9093, 3100, 9411, 16686, 4317, 4318, 14268, 5601, 8125, 8089, 8086, 24224, 50051,
	9000, 8200, 8081, 9418, 3690,
	// mail and chat
	143, 110, 2525, 5222, 5269, 6667, 6697, 194, 119, 563,
	// remote management and VPN
	161, 162, 623, 5800, 5901, 5902, 2222, 2200, 22222, 1194, 1723, 500, 4500, 1701, 8291, 10000, 902, 903,
	5631, 5938, 3283,
	// media, voice, games
	554, 1935, 5060, 5061, 8554, 32400, 8096, 8920, 25565, 27015, 19132, 7777, 3478, 3479, 5349,
	// older services still seen open
	79, 113, 512, 513, 514, 543, 544, 2000, 2001, 5353, 1900, 5357, 49152, 49153, 49154, 49155, 49156,
	49157, 8009, 8180, 8983, 7199, 9160, 6000, 6001, 1025, 1026, 1027, 1028, 1029, 1110, 2100, 2121, 990,
	989, 992, 5190, 5050, 1812, 1813, 3260, 860, 7080, 8014, 8015, 8042, 8069, 8099, 8100, 8222, 9001,
	9002, 9080, 9081, 9200, 9999, 10001, 20000, 37777, 44818, 47808, 102, 502, 20547, 1911, 4911,
}

// TopSourceNmap names nmap's frequency list as the --top source.
const TopSourceNmap = "nmap"

// NmapServicesPath is where nmap's services file lives on Debian.
const NmapServicesPath = "/usr/share/nmap/nmap-services"

// Top returns the n most commonly open TCP ports, most common first, and
// a note naming where the ordering came from. source "" or "portolan" is
// the project's own list, after which the remaining ports follow in
// ascending order; "nmap" reads nmap-services' open frequencies.
func Top(n int, source string) ([]portolan.Port, string, error) {
	if n < 1 || n > 65535 {
		return nil, "", portolan.Errorf(portolan.EINVALID, "--top %d is out of range: want 1-65535", n)
	}
	var order []portolan.Port
	var note string
	switch source {
	case "", "portolan":
		order, note = portolanOrder(), "top ports from portolan's curated list"
	case TopSourceNmap:
		f, err := os.Open(NmapServicesPath)
		if err != nil {
			return nil, "", portolan.Errorf(portolan.EINVALID, "--top-source nmap needs %s (install nmap) or use --top-source portolan", NmapServicesPath)
		}
		defer f.Close()
		order = nmapOrder(f)
		note = "top ports from " + NmapServicesPath
	default:
		return nil, "", portolan.Errorf(portolan.EINVALID, "--top-source %q is not one of portolan, nmap", source)
	}
	return order[:min(n, len(order))], note, nil
}

// portolanOrder is topPorts without repeats, then every other port 1-65535.
func portolanOrder() []portolan.Port {
	var seen PortSet
	out := make([]portolan.Port, 0, 65535)
	for _, p := range topPorts {
		if !seen.Has(p) {
			seen.Add(p)
			out = append(out, p)
		}
	}
	for p := 1; p <= 65535; p++ {
		if !seen.Has(portolan.Port(p)) {
			out = append(out, portolan.Port(p))
		}
	}
	return out
}

// nmapOrder reads "name port/tcp frequency" lines and orders the TCP
// ports by falling frequency (ties by port), as nmap's --top-ports does.
func nmapOrder(f *os.File) []portolan.Port {
	type entry struct {
		port portolan.Port
		freq float64
	}
	var es []entry
	var seen PortSet
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 3 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		num, proto, ok := strings.Cut(fields[1], "/")
		if !ok || proto != "tcp" {
			continue
		}
		p, err := portolan.ParsePort(num)
		freq, ferr := strconv.ParseFloat(fields[2], 64)
		if err != nil || ferr != nil || p == 0 || seen.Has(p) {
			continue
		}
		seen.Add(p)
		es = append(es, entry{p, freq})
	}
	slices.SortStableFunc(es, func(a, b entry) int {
		if c := cmp.Compare(b.freq, a.freq); c != 0 {
			return c
		}
		return cmp.Compare(a.port, b.port)
	})
	out := make([]portolan.Port, 0, 65535)
	for _, e := range es {
		out = append(out, e.port)
	}
	for p := 1; p <= 65535; p++ {
		if !seen.Has(portolan.Port(p)) {
			out = append(out, portolan.Port(p))
		}
	}
	return out
}
