package main

// DNS over UDP: many clients (IPv4 and IPv6) asking three resolvers for A and AAAA records. Answers with CNAME
// chains, NXDOMAIN and NODATA with an SOA, SERVFAIL, a few percent unanswered (some retried with a new id and
// port, as Go's resolver does), EDNS0 on most queries, name compression on every response. Messages are built
// by golang.org/x/net/dns/dnsmessage.

import (
	"container/heap"
	"fmt"
	"net"

	"golang.org/x/net/dns/dnsmessage"
)

type dnsGen struct {
	r       rng
	clients []net.IP
	v6cl    []net.IP
	servers []net.IP
	server6 net.IP
	names   []string
	buf     []byte
}

func newDNSGen(seed uint64) *dnsGen {
	g := &dnsGen{r: rng{seed}}
	for i := 0; i < 4000; i++ {
		g.clients = append(g.clients, net.IPv4(10, byte(16+i/250), byte(i%250+1), byte(2+i%7)).To4())
	}
	for i := 0; i < 1000; i++ {
		g.v6cl = append(g.v6cl, net.ParseIP(fmt.Sprintf("fd00:10:%x::%x", i/200, i%200+2)))
	}
	g.servers = []net.IP{net.IPv4(10, 96, 0, 10).To4(), net.IPv4(10, 96, 0, 11).To4()}
	g.server6 = net.ParseIP("fd00:96::a")
	svcs := []string{"api", "auth", "db", "cache", "queue", "search", "billing", "users", "orders", "metrics"}
	nss := []string{"default", "prod", "staging", "kube-system", "payments"}
	for i := 0; i < 6000; i++ {
		var n string
		switch i % 4 {
		case 0:
			n = fmt.Sprintf("%s-%d.%s.svc.cluster.local.", svcs[i%len(svcs)], i/40, nss[(i/10)%len(nss)])
		case 1:
			n = fmt.Sprintf("%s%d.example.com.", svcs[(i/3)%len(svcs)], i)
		case 2:
			n = fmt.Sprintf("www.site%d.example.org.", i)
		default:
			n = fmt.Sprintf("objects-%d.storage.eu-west-%d.example.net.", i, i%3+1)
		}
		g.names = append(g.names, n)
	}
	return g
}

type pending struct {
	at       int64
	src, dst endpoint
	msg      []byte
}

type pq []pending

func (q pq) Len() int            { return len(q) }
func (q pq) Less(i, j int) bool  { return q[i].at < q[j].at }
func (q pq) Swap(i, j int)       { q[i], q[j] = q[j], q[i] }
func (q *pq) Push(x interface{}) { *q = append(*q, x.(pending)) }
func (q *pq) Pop() interface{} {
	o := *q
	x := o[len(o)-1]
	*q = o[:len(o)-1]
	return x
}

func mustName(s string) dnsmessage.Name {
	n, err := dnsmessage.NewName(s)
	if err != nil {
		panic(err)
	}
	return n
}

// finish adds the EDNS0 OPT record (1232-byte payload) when asked and ends the message.
func finish(b *dnsmessage.Builder, edns bool) []byte {
	if edns {
		b.StartAdditionals()
		var rh dnsmessage.ResourceHeader
		rh.SetEDNS0(1232, dnsmessage.RCodeSuccess, false)
		b.OPTResource(rh, dnsmessage.OPTResource{})
	}
	out, err := b.Finish()
	if err != nil {
		panic(err)
	}
	return out
}

// query builds a query message.
func (g *dnsGen) query(id uint16, name string, t dnsmessage.Type, edns bool) []byte {
	b := dnsmessage.NewBuilder(g.buf[:0], dnsmessage.Header{ID: id, RecursionDesired: true})
	b.EnableCompression()
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: mustName(name), Type: t, Class: dnsmessage.ClassINET})
	return append([]byte(nil), finish(&b, edns)...)
}

// response builds the answer to a query according to kind.
func (g *dnsGen) response(id uint16, name string, t dnsmessage.Type, edns bool, kind int, idx int) []byte {
	rc := dnsmessage.RCodeSuccess
	switch kind {
	case 1:
		rc = dnsmessage.RCodeNameError
	case 2:
		rc = dnsmessage.RCodeServerFailure
	}
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, Response: true, RecursionDesired: true,
		RecursionAvailable: true, RCode: rc})
	b.EnableCompression()
	b.StartQuestions()
	qn := mustName(name)
	b.Question(dnsmessage.Question{Name: qn, Type: t, Class: dnsmessage.ClassINET})
	b.StartAnswers()
	soa := func() {
		b.StartAuthorities()
		zone := mustName("example.com.")
		b.SOAResource(dnsmessage.ResourceHeader{Name: zone, Class: dnsmessage.ClassINET, TTL: 300},
			dnsmessage.SOAResource{NS: mustName("ns1.example.com."), MBox: mustName("hostmaster.example.com."),
				Serial: 2024010101, Refresh: 7200, Retry: 3600, Expire: 1209600, MinTTL: 300})
	}
	switch kind {
	case 0: // answers, sometimes behind a CNAME chain
		owner := qn
		chain := 0
		if idx%3 == 1 {
			chain = 1 + idx%3
		}
		for c := 0; c < chain; c++ {
			target := mustName(fmt.Sprintf("edge%d-%d.cdn%d.example.net.", c, idx%977, c))
			b.CNAMEResource(dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 60},
				dnsmessage.CNAMEResource{CNAME: target})
			owner = target
		}
		n := 1 + idx%4
		for i := 0; i < n; i++ {
			if t == dnsmessage.TypeA {
				b.AResource(dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 30},
					dnsmessage.AResource{A: [4]byte{10, byte(idx >> 8), byte(idx), byte(i + 1)}})
			} else {
				a := [16]byte{0xfd, 0, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, byte(idx >> 8), byte(idx), byte(i + 1)}
				b.AAAAResource(dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 30},
					dnsmessage.AAAAResource{AAAA: a})
			}
		}
	case 1, 3: // NXDOMAIN, NODATA
		soa()
	}
	return finish(&b, edns)
}

// run writes transactions until `packets` packets were produced (or scheduled); clock starts at t0 (µs) and
// advances by the mean gap `gap` µs between queries.
func (g *dnsGen) run(p *pcapWriter, packets int, t0 int64, gap int, mix func(now int64)) {
	var q pq
	now := t0
	emitted := 0
	flush := func(until int64) {
		for q.Len() > 0 && q[0].at <= until {
			x := heap.Pop(&q).(pending)
			if mix != nil {
				mix(x.at)
			}
			udp := make([]byte, 8)
			p.record(x.at, p.packet(x.src, x.dst, 17, udp, x.msg, x.src.port == 53, uint16(g.r.next())))
		}
	}
	for emitted < packets {
		now += int64(1 + g.r.intn(2*gap))
		flush(now)
		v6 := g.r.chance(2000)
		var cl, sv net.IP
		if v6 {
			cl, sv = g.v6cl[g.r.intn(len(g.v6cl))], g.server6
		} else {
			cl, sv = g.clients[g.r.intn(len(g.clients))], g.servers[g.r.intn(2)]
		}
		idx := g.r.intn(len(g.names))
		// Popular names more often (a skew like real traffic).
		if g.r.chance(5000) {
			idx %= 300
		}
		name := g.names[idx]
		t := dnsmessage.TypeA
		if g.r.chance(4000) {
			t = dnsmessage.TypeAAAA
		}
		edns := g.r.chance(7000)
		src := endpoint{cl, uint16(32768 + g.r.intn(28000))}
		dst := endpoint{sv, 53}
		id := uint16(g.r.next())
		roll := g.r.intn(10000)
		kind := 0
		switch {
		case roll < 300:
			kind = -1 // unanswered
		case roll < 1100:
			kind = 1 // NXDOMAIN
		case roll < 1350:
			kind = 2 // SERVFAIL
		case roll < 1800:
			kind = 3 // NODATA
		}
		if mix != nil {
			mix(now)
		}
		udp := make([]byte, 8)
		p.record(now, p.packet(src, dst, 17, udp, g.query(id, name, t, edns), false, uint16(g.r.next())))
		emitted++
		if kind == -1 {
			// Half of the unanswered queries are retried 5 s later with a new id and port, and answered.
			if g.r.chance(5000) {
				at := now + 5_000_000
				src2 := endpoint{cl, uint16(32768 + g.r.intn(28000))}
				id2 := uint16(g.r.next())
				heap.Push(&q, pending{at, src2, dst, g.query(id2, name, t, edns)})
				heap.Push(&q, pending{at + 800 + int64(g.r.intn(4000)), dst, src2, g.response(id2, name, t, edns, 0, idx)})
				emitted += 2
			}
			continue
		}
		rtt := int64(150 + g.r.intn(3000))
		if g.r.chance(300) {
			rtt += int64(20_000 + g.r.intn(200_000))
		}
		heap.Push(&q, pending{now + rtt, dst, src, g.response(id, name, t, edns, kind, idx)})
		emitted++
	}
	flush(1 << 62)
}
