package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

// checkWrites compares the acknowledged and refused writes with the audit
// log: each write is found by the request ID it was sent with.
func (f *liveFacts) checkWrites(writes []write) {
	for _, wr := range writes {
		if wr.note == "" {
			continue
		}
		n := f.byRequest[wr.note]
		switch {
		case wr.outcome == "acked" && n == 0:
			f.ackedMissing++
		case wr.outcome == "acked" && n > 1:
			f.ackedTwice++
		case wr.outcome == "refused" && n > 0:
			f.refusedFound++
		}
	}
}

// liveVerdict is what verifyLive found.
type liveVerdict struct {
	byRole, byFilter                            map[string]int
	expected, delivered                         int
	missing, duplicates, outOfOrder, unexpected int
	leaks, overHidden                           int
	problemSubs, completedSubs                  int
	firstProblem                                string
	latency, occurredLatency                    []time.Duration
	closeCodes                                  map[int]int
	earlyCloses                                 map[int]int // connections the server ended before SIGTERM, by code
	reconnected, receivingAfter, lostAtClose    int
}

// verifyLive computes, for each connection of each subscriber, the events
// it should have received — the changes in commit order from its first
// sentinel on, which its filter matches — and compares them with what it
// received; it checks what each event showed of who made the change, and
// measures the latency of the deliveries of the changes in the stream
// between indexes from and to (the many phase).
func verifyLive(subs []*liveSubscriber, stream []streamEntry, f *liveFacts, fx *liveFixture, from, to int, sigAt time.Time) liveVerdict {
	v := liveVerdict{byRole: map[string]int{}, byFilter: map[string]int{}, closeCodes: map[int]int{}, earlyCloses: map[int]int{}, firstProblem: "none"}
	pos := map[uint]int{}
	for i, e := range stream {
		if e.Entity == "ActionItem" {
			pos[e.AuditEntryID] = i
		}
	}
	for _, s := range subs {
		s.mu.Lock()
		segs := s.segments
		s.mu.Unlock()
		v.byRole[s.role]++
		for _, seg := range segs {
			if seg.byServer && seg.endedAt.Before(sigAt) {
				v.earlyCloses[seg.code]++
			}
		}
		if s.doc >= 0 {
			v.byFilter["live query"]++
			continue
		}
		v.byFilter[s.filter.name]++
		problem := ""
		completed := false
		for _, seg := range segs {
			completed = completed || seg.completed
			if len(seg.problems) > 0 && problem == "" {
				problem = fmt.Sprintf("subscriber %d (%s, %s) on replica %d: %s", s.n, s.role, s.filter.name, seg.replica, seg.problems[0])
			}
			// What it was shown of each change's actor.
			for _, ev := range seg.events {
				revealed := s.role == "admin" || f.subject[ev.audit] == s.subject
				if revealed {
					if ev.subject == nil || *ev.subject != f.subject[ev.audit] || ev.requestID == nil || *ev.requestID != f.requestID[ev.audit] {
						v.overHidden++
					}
				} else if ev.subject != nil || ev.name != nil || ev.tokenID != nil || ev.requestID != nil {
					v.leaks++
				}
			}
			ready := -1
			for i, ev := range seg.events {
				if ev.item == fx.sentinel {
					ready = i
					break
				}
			}
			if ready < 0 {
				continue
			}
			start, ok := pos[seg.events[ready].audit]
			if !ok {
				v.unexpected++
				continue
			}
			// The changes it should receive, in commit order.
			var want []int
			wanted := map[uint]bool{}
			for i := start; i < len(stream); i++ {
				e := stream[i]
				if e.Entity != "ActionItem" {
					continue
				}
				it, ok := f.items[e.ID]
				if !ok || !s.filter.match(it) {
					continue
				}
				want = append(want, i)
				wanted[e.AuditEntryID] = true
			}
			got := seg.events[ready:]
			seen := map[uint]bool{}
			last := -1
			for _, ev := range got {
				p, ok := pos[ev.audit]
				switch {
				case !ok || !wanted[ev.audit]:
					v.unexpected++
					continue
				case seen[ev.audit]:
					v.duplicates++
					continue
				case p < last:
					v.outOfOrder++
				}
				seen[ev.audit] = true
				last = max(last, p)
				if p >= from && p < to {
					if at, ok := f.committed[ev.audit]; ok {
						v.latency = append(v.latency, ev.at.Sub(at))
					}
					v.occurredLatency = append(v.occurredLatency, ev.at.Sub(ev.occurred))
				}
			}
			v.delivered += len(seen)
			for _, i := range want {
				e := stream[i]
				if seen[e.AuditEntryID] {
					v.expected++
					continue
				}
				switch {
				case !seg.byServer || i < last:
					// A connection held to the end must have all; one the
					// server ended, all up to the last it received.
					v.expected++
					v.missing++
				case e.at.Before(seg.endedAt):
					v.lostAtClose++
				}
			}
		}
		if completed {
			v.completedSubs++
		}
		if problem != "" {
			v.problemSubs++
			if v.firstProblem == "none" {
				v.firstProblem = problem
			}
		}
		if len(segs) > 0 && segs[0].replica == 1 {
			if segs[0].byServer {
				v.closeCodes[segs[0].code]++
			} else {
				v.closeCodes[0]++ // not closed by the server
			}
			if len(segs) > 1 && segs[1].replica == 0 && len(segs[1].problems) == 0 {
				v.reconnected++
				if len(segs[1].events) > 0 {
					v.receivingAfter++
				}
			}
		}
	}
	return v
}

// liveQueryVerdict is what checkLiveQueries found.
type liveQueryVerdict struct {
	subscribers, equal, differ, noResult int
	results                              int // results received, all connections
	reconnected, receivingAfter          int // of those on replica b
	problems                             int
	first                                string
	firstProblem                         string
}

// checkLiveQueries compares the last result of each live-query
// subscriber with a fresh HTTP query of the same document by the same
// caller, polling until they agree or limit passes (a change's re-run
// comes at most MinInterval after it).
func checkLiveQueries(ctx context.Context, subs []*liveSubscriber, base string, limit time.Duration) liveQueryVerdict {
	v := liveQueryVerdict{first: "none"}
	hc := newClient(base, &http.Client{Timeout: 20 * time.Second}, "livecheck"+randomHex(3), new(atomic.Int64))
	fresh := map[string]string{} // by token and document
	deadline := time.Now().Add(limit)
	for range 1000 {
		v.equal, v.differ, v.noResult, v.first = 0, 0, 0, "none"
		clear(fresh)
		for _, s := range subs {
			if s.doc < 0 {
				continue
			}
			seg := s.current()
			s.mu.Lock()
			last := seg.last
			s.mu.Unlock()
			if last == nil {
				v.noResult++
				continue
			}
			key := s.token + "\x00" + s.query
			want, ok := fresh[key]
			if !ok {
				cl := hc.post(ctx, s.token, "LiveCheck", s.query, nil)
				if !cl.ok() {
					want = fmt.Sprintf("(HTTP %d %v %v)", cl.status, cl.err, cl.errors)
				} else {
					want = canonical(cl.data)
				}
				fresh[key] = want
			}
			if canonical(last) == want {
				v.equal++
				continue
			}
			v.differ++
			if v.first == "none" {
				v.first = fmt.Sprintf("subscriber %d (%s, document %d): live %s, HTTP %s", s.n, s.role, s.doc, clip([]byte(canonical(last)), 200), clip([]byte(want), 200))
			}
		}
		if v.differ == 0 || time.Now().After(deadline) || sleep(ctx, 500*time.Millisecond) != nil {
			break
		}
	}
	for _, s := range subs {
		if s.doc < 0 {
			continue
		}
		v.subscribers++
		s.mu.Lock()
		segs := s.segments
		s.mu.Unlock()
		bad := false
		for _, seg := range segs {
			v.results += seg.results
			if len(seg.problems) > 0 && !bad {
				bad = true
				if v.firstProblem == "" {
					v.firstProblem = fmt.Sprintf("subscriber %d (%s, document %d) on replica %d: %s", s.n, s.role, s.doc, seg.replica, seg.problems[0])
				}
			}
		}
		if bad {
			v.problems++
		}
		if segs[0].replica == 1 && len(segs) > 1 && segs[1].replica == 0 && len(segs[1].problems) == 0 {
			v.reconnected++
			if segs[1].results > 0 {
				v.receivingAfter++
			}
		}
	}
	return v
}

// canonical re-encodes JSON with sorted keys, for comparison.
func canonical(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	out, _ := json.Marshal(v)
	return string(out)
}
