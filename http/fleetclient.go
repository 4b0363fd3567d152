package http

import (
	"context"
	"net/url"
	"strconv"

	"github.com/portolan-dev/portolan"
)

// Report sends one agent report for host rep.HostID.
func (c *Client) Report(ctx context.Context, rep portolan.FleetReport) (portolan.ReportAck, error) {
	var ack portolan.ReportAck
	err := c.do(ctx, "POST", "/v1/hosts/"+url.PathEscape(rep.HostID)+"/report", rep, &ack)
	return ack, err
}

// Hosts returns the fleet's hosts with their state.
func (c *Client) Hosts(ctx context.Context) ([]portolan.FleetHost, error) {
	var hs []portolan.FleetHost
	return hs, c.do(ctx, "GET", "/v1/hosts", nil, &hs)
}

// HostListeners returns host id's confirmed listeners.
func (c *Client) HostListeners(ctx context.Context, id string) ([]portolan.FleetListener, error) {
	var ls []portolan.FleetListener
	return ls, c.do(ctx, "GET", "/v1/hosts/"+url.PathEscape(id)+"/listeners", nil, &ls)
}

// FleetWhere returns every host's listeners on the ports query names.
func (c *Client) FleetWhere(ctx context.Context, query string) (FleetWhere, error) {
	var w FleetWhere
	return w, c.do(ctx, "GET", "/v1/fleet/where/"+url.PathEscape(query), nil, &w)
}

// Drift returns the active drift of host (every host when empty).
func (c *Client) Drift(ctx context.Context, host string) ([]portolan.DriftItem, error) {
	var d []portolan.DriftItem
	q := ""
	if host != "" {
		q = "?host=" + url.QueryEscape(host)
	}
	return d, c.do(ctx, "GET", "/v1/drift"+q, nil, &d)
}

// Events returns up to limit fleet events after id since, oldest first;
// of host only, when it is not empty.
func (c *Client) Events(ctx context.Context, host string, since int64, limit int) ([]portolan.FleetEvent, error) {
	var evs []portolan.FleetEvent
	q := "?since=" + strconv.FormatInt(since, 10) + "&limit=" + strconv.Itoa(limit)
	if host != "" {
		q += "&host=" + url.QueryEscape(host)
	}
	return evs, c.do(ctx, "GET", "/v1/events"+q, nil, &evs)
}
