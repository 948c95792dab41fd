// Command gen writes the deterministic benchmark inputs of scripts/bench:
//
//	gen dns   OUT.pcap PACKETS    DNS over UDP, Linux cooked v2
//	gen h2    OUT.pcap PACKETS    cleartext HTTP/2 over TCP, Linux cooked v2
//	gen mixed OUT.pcap PACKETS    both, interleaved in time (60 % HTTP/2 packets, 40 % DNS)
//	gen log   OUT.log LINES TEMPLATE.log…   a Go debug log (netdns=go+2, http2debug=2) from real lines
//
// The same arguments give the same bytes on every run.
package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"time"
)

const t0 = int64(1795000000) * 1e6 // µs: 2026-11-18

func main() {
	if len(os.Args) < 4 {
		fmt.Fprintln(os.Stderr, "usage: gen dns|h2|mixed OUT.pcap PACKETS | gen log OUT.log LINES TEMPLATE.log...")
		os.Exit(2)
	}
	n, err := strconv.Atoi(os.Args[3])
	if err != nil {
		panic(err)
	}
	out := os.Args[2]
	switch os.Args[1] {
	case "dns":
		p := newPcap(out)
		newDNSGen(1).run(p, n, t0, 50, nil)
		p.close()
	case "h2":
		p := newPcap(out)
		runH2(p, &rng{2}, n, 64, t0, nil)
		p.close()
	case "mixed":
		a, b := out+".dns.tmp", out+".h2.tmp"
		p := newPcap(a)
		newDNSGen(3).run(p, n*4/10, t0, 125, nil)
		p.close()
		p = newPcap(b)
		runH2(p, &rng{4}, n*6/10, 32, t0, nil)
		p.close()
		merge(out, a, b)
		os.Remove(a)
		os.Remove(b)
	case "log":
		genLog(out, n, os.Args[4:])
	default:
		fmt.Fprintln(os.Stderr, "unknown kind", os.Args[1])
		os.Exit(2)
	}
}

type rec struct {
	us  int64
	hdr [16]byte
	pkt []byte
	ok  bool
}

func readRec(r *bufio.Reader, x *rec) {
	if _, err := io.ReadFull(r, x.hdr[:]); err != nil {
		x.ok = false
		return
	}
	sec := binary.LittleEndian.Uint32(x.hdr[0:])
	usec := binary.LittleEndian.Uint32(x.hdr[4:])
	caplen := binary.LittleEndian.Uint32(x.hdr[8:])
	x.us = int64(sec)*1e6 + int64(usec)
	if cap(x.pkt) < int(caplen) {
		x.pkt = make([]byte, caplen)
	}
	x.pkt = x.pkt[:caplen]
	if _, err := io.ReadFull(r, x.pkt); err != nil {
		panic(err)
	}
	x.ok = true
}

// merge interleaves two pcap files of the same link type by timestamp.
func merge(out, a, b string) {
	fa, _ := os.Open(a)
	fb, _ := os.Open(b)
	defer fa.Close()
	defer fb.Close()
	ra, rb := bufio.NewReaderSize(fa, 1<<20), bufio.NewReaderSize(fb, 1<<20)
	var gh [24]byte
	io.ReadFull(ra, gh[:])
	io.ReadFull(rb, gh[:])
	f, _ := os.Create(out)
	w := bufio.NewWriterSize(f, 1<<20)
	w.Write(gh[:])
	var x, y rec
	readRec(ra, &x)
	readRec(rb, &y)
	for x.ok || y.ok {
		if x.ok && (!y.ok || x.us <= y.us) {
			w.Write(x.hdr[:])
			w.Write(x.pkt)
			readRec(ra, &x)
		} else {
			w.Write(y.hdr[:])
			w.Write(y.pkt)
			readRec(rb, &y)
		}
	}
	w.Flush()
	f.Close()
}

var stamp = regexp.MustCompile(`^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(\.\d+)? `)

// genLog writes `lines` lines cycling through the template logs' lines, each stamped with an increasing
// log-package time (the templates' own stamps are replaced; unstamped lines stay unstamped).
func genLog(out string, lines int, templates []string) {
	type tl struct {
		text    string
		stamped bool
	}
	var tpl []tl
	for _, path := range templates {
		f, err := os.Open(path)
		if err != nil {
			panic(err)
		}
		s := bufio.NewScanner(f)
		s.Buffer(make([]byte, 1<<20), 1<<20)
		for s.Scan() {
			l := s.Text()
			if loc := stamp.FindStringIndex(l); loc != nil {
				tpl = append(tpl, tl{l[loc[1]:], true})
			} else if l != "" {
				tpl = append(tpl, tl{l, false})
			}
		}
		f.Close()
	}
	if len(tpl) == 0 {
		panic("no template lines")
	}
	f, _ := os.Create(out)
	w := bufio.NewWriterSize(f, 1<<20)
	base := time.Date(2026, 11, 27, 11, 0, 0, 0, time.UTC)
	us := int64(0)
	r := rng{5}
	for i := 0; i < lines; i++ {
		t := tpl[i%len(tpl)]
		us += int64(1 + r.intn(60))
		if t.stamped {
			ts := base.Add(time.Duration(us) * time.Microsecond)
			w.WriteString(ts.Format("2006/01/02 15:04:05.000000 "))
		}
		w.WriteString(t.text)
		w.WriteByte('\n')
	}
	w.Flush()
	f.Close()
}
