// Command dnsd is the netcorr failure-lab DNS responder (UDP and TCP),
// built on golang.org/x/net/dns/dnsmessage.
//
// Records:   -rr app.lab.test=10.77.0.80        (repeatable; A or AAAA by address family)
// Behaviour: -rule NAME/TYPE=ACTION             (repeatable, first matching terminal rule wins)
//
//	NAME   a name (with or without trailing dot) or * for any
//	TYPE   A, AAAA, ... or * for any
//	ACTION servfail | refused | nxdomain | drop | truncate | delay:MS
//	       delay:MS is cumulative and not terminal (combine with another rule).
//	       truncate: over UDP answer with TC=1 and no records; over TCP answer fully.
//
// Names inside -zone (default lab.test) that have no records get NXDOMAIN
// with the zone SOA; names with records but not of the asked type get
// NOERROR/NODATA with the SOA; names outside the zone get NXDOMAIN.
package main

import (
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

type multi []string

func (m *multi) String() string     { return strings.Join(*m, ",") }
func (m *multi) Set(s string) error { *m = append(*m, s); return nil }

type rule struct {
	name   string // lower-case FQDN or "*"
	qtype  string // "A", "AAAA" or "*"
	action string
	delay  time.Duration
}

var (
	records = map[string][]net.IP{} // fqdn -> addresses
	rules   []rule
	zone    string
	ttl     uint32
)

func fqdn(s string) string {
	s = strings.ToLower(s)
	if !strings.HasSuffix(s, ".") {
		s += "."
	}
	return s
}

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	var listens, rrs, rls multi
	flag.Var(&listens, "listen", "address to listen on (UDP and TCP), repeatable, e.g. 10.77.0.53:53")
	flag.Var(&rrs, "rr", "NAME=ADDR[,ADDR...] record, repeatable")
	flag.Var(&rls, "rule", "NAME/TYPE=ACTION, repeatable")
	z := flag.String("zone", "lab.test", "zone this server is authoritative for")
	t := flag.Uint("ttl", 30, "TTL of answers")
	noTCP := flag.Bool("no-tcp", false, "do not listen on TCP")
	flag.Parse()
	zone, ttl = fqdn(*z), uint32(*t)

	for _, r := range rrs {
		name, addrs, ok := strings.Cut(r, "=")
		if !ok {
			log.Fatalf("bad -rr %q", r)
		}
		for _, a := range strings.Split(addrs, ",") {
			ip := net.ParseIP(a)
			if ip == nil {
				log.Fatalf("bad address in -rr %q", r)
			}
			records[fqdn(name)] = append(records[fqdn(name)], ip)
		}
	}
	for _, r := range rls {
		lhs, action, ok := strings.Cut(r, "=")
		name, qt, ok2 := strings.Cut(lhs, "/")
		if !ok || !ok2 {
			log.Fatalf("bad -rule %q", r)
		}
		ru := rule{name: name, qtype: strings.ToUpper(qt), action: action}
		if ru.name != "*" {
			ru.name = fqdn(ru.name)
		}
		if strings.HasPrefix(action, "delay:") {
			ms := strings.TrimPrefix(action, "delay:")
			n, err := strconv.Atoi(ms)
			if err != nil {
				log.Fatalf("bad delay in -rule %q", r)
			}
			ru.action, ru.delay = "delay", time.Duration(n)*time.Millisecond
		} else {
			switch action {
			case "servfail", "refused", "nxdomain", "drop", "truncate":
			default:
				log.Fatalf("bad action in -rule %q", r)
			}
		}
		rules = append(rules, ru)
	}
	if len(listens) == 0 {
		listens = multi{":53"}
	}
	var wg sync.WaitGroup
	for _, addr := range listens {
		pc, err := net.ListenPacket("udp", addr)
		if err != nil {
			log.Fatalf("listen udp %s: %v", addr, err)
		}
		log.Printf("dnsd: listening udp %s", pc.LocalAddr())
		wg.Add(1)
		go func() { defer wg.Done(); serveUDP(pc) }()
		if !*noTCP {
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				log.Fatalf("listen tcp %s: %v", addr, err)
			}
			log.Printf("dnsd: listening tcp %s", ln.Addr())
			wg.Add(1)
			go func() { defer wg.Done(); serveTCP(ln) }()
		}
	}
	wg.Wait()
	os.Exit(1)
}

// decide returns the total delay and the terminal action ("" = answer normally).
func decide(name, qtype string) (time.Duration, string) {
	var d time.Duration
	for _, r := range rules {
		if (r.name == "*" || r.name == name) && (r.qtype == "*" || r.qtype == qtype) {
			if r.action == "delay" {
				d += r.delay
				continue
			}
			return d, r.action
		}
	}
	return d, ""
}

func serveUDP(pc net.PacketConn) {
	buf := make([]byte, 65535)
	for {
		n, from, err := pc.ReadFrom(buf)
		if err != nil {
			log.Printf("dnsd: udp read: %v", err)
			return
		}
		q := append([]byte{}, buf[:n]...)
		go func() {
			if resp := handle(q, "udp", from.String()); resp != nil {
				if _, err := pc.WriteTo(resp, from); err != nil {
					log.Printf("dnsd: udp write to %s: %v", from, err)
				}
			}
		}()
	}
}

func serveTCP(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			log.Printf("dnsd: tcp accept: %v", err)
			return
		}
		go func(c net.Conn) {
			defer c.Close()
			for {
				var l [2]byte
				if _, err := io.ReadFull(c, l[:]); err != nil {
					return
				}
				q := make([]byte, binary.BigEndian.Uint16(l[:]))
				if _, err := io.ReadFull(c, q); err != nil {
					return
				}
				resp := handle(q, "tcp", c.RemoteAddr().String())
				if resp == nil {
					continue
				}
				out := make([]byte, 2+len(resp))
				binary.BigEndian.PutUint16(out, uint16(len(resp)))
				copy(out[2:], resp)
				if _, err := c.Write(out); err != nil {
					log.Printf("dnsd: tcp write: %v", err)
					return
				}
			}
		}(c)
	}
}

func soa() dnsmessage.SOAResource {
	return dnsmessage.SOAResource{
		NS:     dnsmessage.MustNewName("ns." + zone),
		MBox:   dnsmessage.MustNewName("hostmaster." + zone),
		Serial: 1, Refresh: 3600, Retry: 600, Expire: 86400, MinTTL: ttl,
	}
}

func handle(q []byte, proto, from string) []byte {
	var p dnsmessage.Parser
	h, err := p.Start(q)
	if err != nil {
		log.Printf("dnsd: %s %s: bad query: %v", proto, from, err)
		return nil
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) != 1 {
		log.Printf("dnsd: %s %s: bad question section: %v", proto, from, err)
		return nil
	}
	question := qs[0]
	name := strings.ToLower(question.Name.String())
	qtype := strings.TrimPrefix(question.Type.String(), "Type")

	delay, action := decide(name, qtype)
	if action == "truncate" && proto == "tcp" {
		action = ""
	}
	log.Printf("dnsd: %s %s id=%d %s %s -> delay=%v action=%q", proto, from, h.ID, name, qtype, delay, action)
	if delay > 0 {
		time.Sleep(delay)
	}
	if action == "drop" {
		return nil
	}

	rh := dnsmessage.Header{ID: h.ID, Response: true, OpCode: h.OpCode,
		Authoritative: true, RecursionDesired: h.RecursionDesired, RecursionAvailable: true}
	inZone := name == zone || strings.HasSuffix(name, "."+zone)
	addrs, known := records[name]
	var answers []net.IP
	withSOA := false
	switch action {
	case "servfail":
		rh.RCode, rh.Authoritative = dnsmessage.RCodeServerFailure, false
	case "refused":
		rh.RCode, rh.Authoritative = dnsmessage.RCodeRefused, false
	case "nxdomain":
		rh.RCode, withSOA = dnsmessage.RCodeNameError, inZone
	case "truncate":
		rh.Truncated = true
	default:
		if !known {
			rh.RCode, withSOA = dnsmessage.RCodeNameError, inZone
			break
		}
		for _, ip := range addrs {
			if (question.Type == dnsmessage.TypeA) == (ip.To4() != nil) &&
				(question.Type == dnsmessage.TypeA || question.Type == dnsmessage.TypeAAAA) {
				answers = append(answers, ip)
			}
		}
		withSOA = len(answers) == 0
	}

	b := dnsmessage.NewBuilder(make([]byte, 0, 512), rh)
	b.EnableCompression()
	must(b.StartQuestions())
	must(b.Question(question))
	must(b.StartAnswers())
	for _, ip := range answers {
		rhdr := dnsmessage.ResourceHeader{Name: question.Name, Class: dnsmessage.ClassINET, TTL: ttl}
		if ip4 := ip.To4(); ip4 != nil {
			var a dnsmessage.AResource
			copy(a.A[:], ip4)
			must(b.AResource(rhdr, a))
		} else {
			var a dnsmessage.AAAAResource
			copy(a.AAAA[:], ip.To16())
			must(b.AAAAResource(rhdr, a))
		}
	}
	must(b.StartAuthorities())
	if withSOA {
		must(b.SOAResource(dnsmessage.ResourceHeader{Name: dnsmessage.MustNewName(zone), Class: dnsmessage.ClassINET, TTL: ttl}, soa()))
	}
	out, err := b.Finish()
	must(err)
	log.Printf("dnsd: %s %s id=%d %s %s <- rcode=%v tc=%v answers=%d", proto, from, h.ID, name, qtype, rh.RCode, rh.Truncated, len(answers))
	return out
}

func must(err error) {
	if err != nil {
		panic(fmt.Sprint("dnsd: build response: ", err))
	}
}
