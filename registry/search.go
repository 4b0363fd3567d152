package registry

import (
	"slices"
	"sort"
	"strings"

	"github.com/portolan-dev/portolan"
)

// searchIndex is every record's lower-case "name\x00description\n" in one
// string, so a word is found across all records by one fast substring scan.
type searchIndex struct {
	text  string
	start []int32 // start[i] is where record i's text begins
}

func (r *Registry) searchIdx() *searchIndex {
	r.searchOnce.Do(func() {
		var b strings.Builder
		n := r.sn.Len()
		idx := &searchIndex{start: make([]int32, n+1)}
		b.Grow(64 * n)
		for i := 0; i < n; i++ {
			idx.start[i] = int32(b.Len())
			name, desc := r.sn.NameDesc(i)
			appendLower(&b, name)
			b.WriteByte(0)
			appendLower(&b, desc)
			b.WriteByte('\n')
		}
		idx.start[n] = int32(b.Len())
		idx.text = b.String()
		r.search = idx
	})
	return r.search
}

func appendLower(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '\n' || c == 0:
			c = ' '
		}
		b.WriteByte(c)
	}
}

// Hit is one search result: a record and how well it matched.
type Hit struct {
	portolan.Service
	Score int `json:"score"`
}

// Search ranks the records whose name or description holds every word of
// query, case-insensitively: an exact name first, then names starting with
// the first word, names holding a word, descriptions holding the words as
// whole words, and last descriptions holding them inside longer words.
// Assigned records rank above reserved and unassigned ones. The curated
// common uses count too: "remote desktop" or "rdp" finds IANA's
// ms-wbt-server on 3389. limit <= 0 returns every hit.
func (r *Registry) Search(query string, limit int) []Hit {
	words := strings.Fields(strings.ToLower(query))
	if len(words) == 0 {
		return nil
	}
	idx := r.searchIdx()
	type cand struct{ rec, score int }
	var cands []cand
	last := -1
	for off := 0; off < len(idx.text); {
		k := strings.Index(idx.text[off:], words[0])
		if k < 0 {
			break
		}
		pos := off + k
		rec := sort.Search(len(idx.start)-1, func(i int) bool { return int(idx.start[i+1]) > pos }) // record holding pos
		off = int(idx.start[rec+1])
		if rec == last {
			continue
		}
		last = rec
		if sc, ok := score(idx.text[idx.start[rec]:idx.start[rec+1]-1], words); ok {
			if st := r.sn.Status(rec); st == portolan.Reserved || st == portolan.Unassigned || st == portolan.Removed {
				sc -= 5
			}
			cands = append(cands, cand{rec, sc})
		}
	}
	hits := make([]Hit, len(cands))
	for i, c := range cands {
		hits[i] = Hit{Service: r.sn.Record(c.rec), Score: c.score}
	}
	hits = r.viaCommonUses(hits, words)
	slices.SortStableFunc(hits, func(a, b Hit) int { return b.Score - a.Score })
	if limit > 0 && len(hits) > limit {
		hits = hits[:limit]
	}
	return hits
}

// commonUseBonus lifts a record found through a curated common use above
// records that merely mention the words: the curated uses are the famous
// ones, which is what people type ("remote desktop" means 3389, whose IANA
// record says only "MS WBT Server").
const commonUseBonus = 100

// viaCommonUses adds the IANA records on the ports of the curated common
// uses whose name or description holds every word, or raises their score
// when the words found them already.
func (r *Registry) viaCommonUses(hits []Hit, words []string) []Hit {
	var buf []byte
	for _, c := range commonUses {
		if c.Ports.Lo != c.Ports.Hi {
			continue // a range's every record would swamp the results
		}
		buf = append(buf[:0], strings.ToLower(c.Name)...)
		buf = append(buf, 0)
		buf = append(buf, strings.ToLower(c.Desc)...)
		sc, ok := score(string(buf), words)
		if !ok {
			continue
		}
		sc += commonUseBonus
		for _, s := range r.ByPort(c.Ports.Lo, c.Proto) {
			if s.Name == "" || s.Status == portolan.Reserved || s.Status == portolan.Unassigned || s.Status == portolan.Removed {
				continue
			}
			i := slices.IndexFunc(hits, func(h Hit) bool {
				return h.Name == s.Name && h.Proto == s.Proto && h.Ports == s.Ports && h.HasPort == s.HasPort
			})
			switch {
			case i < 0:
				hits = append(hits, Hit{Service: s, Score: sc})
			case hits[i].Score < sc:
				hits[i].Score = sc
			}
		}
	}
	return hits
}

// score rates one record's "name\x00description" for the words; ok is
// false unless every word occurs.
func score(text string, words []string) (int, bool) {
	name, desc, _ := strings.Cut(text, "\x00")
	total := 0
	whole := strings.Join(words, " ")
	switch {
	case name == whole || name == strings.Join(words, "-"):
		total += 1000
	case strings.HasPrefix(name, words[0]):
		total += 400
	}
	for _, w := range words {
		switch {
		case name == w:
			total += 200
		case strings.Contains(name, w):
			total += 100
		case hasWord(desc, w):
			total += 40
		case strings.Contains(desc, w):
			total += 10
		default:
			return 0, false
		}
	}
	if len(words) > 1 && strings.Contains(desc, whole) {
		total += 30
	}
	return total, true
}

// hasWord reports whether w occurs in s between non-alphanumeric bytes.
func hasWord(s, w string) bool {
	for off := 0; ; {
		k := strings.Index(s[off:], w)
		if k < 0 {
			return false
		}
		i, j := off+k, off+k+len(w)
		if (i == 0 || !alnum(s[i-1])) && (j == len(s) || !alnum(s[j])) {
			return true
		}
		off = i + 1
	}
}

func alnum(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' }
