// Command dnsloop asks a resolver at ADDR (127.0.0.1:53) for names through Go's own resolver, from a few
// goroutines: answered names, NXDOMAIN, and whatever else the server says. Used by scripts/bench/loopback.
//
//	dnsloop ADDR LOOKUPS
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"
)

func main() {
	addr := os.Args[1]
	n, _ := strconv.Atoi(os.Args[2])
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		d := net.Dialer{Timeout: time.Second}
		return d.DialContext(ctx, "udp", addr)
	}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	ok, fail := 0, 0
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += 4 {
				var name string
				switch i % 10 {
				case 0, 1, 2, 3, 4, 5:
					name = fmt.Sprintf("svc%d.bench.test", i%500)
				case 6, 7:
					name = fmt.Sprintf("alias%d.bench.test", i%50)
				default:
					name = fmt.Sprintf("missing%d.bench.test", i)
				}
				ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
				_, err := r.LookupHost(ctx, name)
				cancel()
				mu.Lock()
				if err == nil {
					ok++
				} else {
					fail++
				}
				mu.Unlock()
			}
		}(w)
	}
	wg.Wait()
	fmt.Printf("%d lookups: %d answered, %d failed\n", n, ok, fail)
}
