// Command client is the netcorr failure-lab HTTP/2 client.
//
// It uses net/http with golang.org/x/net/http2.Transport (h2c prior
// knowledge or TLS+ALPN h2) and Go's pure resolver, so that running it with
// GODEBUG=netdns=go+2,http2debug=2 produces the resolver and framer debug
// lines netcorr joins with packet captures. Every result, or the Go error
// string verbatim, is written with the std log package
// (log.LstdFlags|log.Lmicroseconds) to stderr.
package main

import (
	"bytes"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"golang.org/x/net/http2"
)

func main() {
	log.SetFlags(log.LstdFlags | log.Lmicroseconds)
	log.SetOutput(os.Stderr)

	rawURL := flag.String("url", "http://app.lab.test:8080/ok", "URL to request")
	n := flag.Int("n", 1, "number of requests")
	interval := flag.Duration("interval", 0, "pause between requests")
	timeout := flag.Duration("timeout", 5*time.Second, "per-request timeout (http.Client.Timeout; also bounds -lookup-only)")
	dialTimeout := flag.Duration("dial-timeout", 0, "net.Dialer.Timeout (lookup + connect); 0 = none (bounded by -timeout)")
	useH2C := flag.Bool("h2c", false, "HTTP/2 over cleartext TCP with prior knowledge")
	useTLS := flag.Bool("tls", false, "HTTP/2 over TLS (InsecureSkipVerify, ALPN h2)")
	ping := flag.Duration("ping", 0, "enable HTTP/2 health checks: ReadIdleTimeout and PingTimeout set to this")
	lookupOnly := flag.Bool("lookup-only", false, "only net.DefaultResolver.LookupHost the URL's host and print the result")
	lookupFirst := flag.Bool("lookup", false, "LookupHost the URL's host once (and log it) before the requests; a failure counts as a failed request")
	bodySize := flag.Int("body-size", 0, "if > 0, POST a body of this many bytes instead of GET")
	keyLog := flag.String("keylog", "", "write the TLS key log (NSS format) to this file")
	grpc := flag.Bool("grpc", false, "gRPC-style request: POST, content-type application/grpc, te: trailers, one empty message; a non-zero grpc-status trailer is a failure")
	flag.Parse()

	// Always Go's own resolver (GODEBUG=netdns=go also forces it).
	net.DefaultResolver.PreferGo = true

	u, err := url.Parse(*rawURL)
	if err != nil {
		log.Fatalf("bad -url: %v", err)
	}

	lookup := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), *timeout)
		defer cancel()
		addrs, err := net.DefaultResolver.LookupHost(ctx, u.Hostname())
		if err != nil {
			log.Printf("lookup %s: %s", u.Hostname(), err.Error())
			return false
		}
		log.Printf("lookup %s: %s", u.Hostname(), strings.Join(addrs, " "))
		return true
	}
	if *lookupOnly {
		ok := 0
		for i := 0; i < *n; i++ {
			if i > 0 && *interval > 0 {
				time.Sleep(*interval)
			}
			if lookup() {
				ok++
			}
		}
		finish(ok, *n)
	}
	if *lookupFirst && !lookup() {
		finish(0, *n)
	}

	if !*useH2C && !*useTLS {
		*useH2C = u.Scheme == "http"
		*useTLS = u.Scheme == "https"
	}

	dialer := &net.Dialer{Timeout: *dialTimeout, Resolver: net.DefaultResolver}
	tr := &http2.Transport{}
	if *ping > 0 {
		tr.ReadIdleTimeout = *ping
		tr.PingTimeout = *ping
	}
	if *useH2C {
		tr.AllowHTTP = true
		tr.DialTLSContext = func(ctx context.Context, network, addr string, _ *tls.Config) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		}
	} else {
		cfg := &tls.Config{InsecureSkipVerify: true, NextProtos: []string{"h2"}}
		if *keyLog != "" {
			f, err := os.OpenFile(*keyLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
			if err != nil {
				log.Fatalf("keylog: %v", err)
			}
			defer f.Close()
			cfg.KeyLogWriter = f
		}
		tr.TLSClientConfig = cfg
		tr.DialTLSContext = func(ctx context.Context, network, addr string, cfg *tls.Config) (net.Conn, error) {
			c, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			tc := tls.Client(c, cfg)
			if err := tc.HandshakeContext(ctx); err != nil {
				c.Close()
				return nil, err
			}
			if p := tc.ConnectionState().NegotiatedProtocol; p != "h2" {
				tc.Close()
				return nil, fmt.Errorf("tls: server did not negotiate h2 (got %q)", p)
			}
			return tc, nil
		}
	}
	client := &http.Client{Transport: tr, Timeout: *timeout}

	method := http.MethodGet
	if *bodySize > 0 || *grpc {
		method = http.MethodPost
	}
	ok := 0
	for i := 0; i < *n; i++ {
		if i > 0 && *interval > 0 {
			time.Sleep(*interval)
		}
		var body io.Reader
		if *bodySize > 0 {
			body = bytes.NewReader(bytes.Repeat([]byte("x"), *bodySize))
		} else if *grpc {
			body = bytes.NewReader([]byte{0, 0, 0, 0, 0}) // uncompressed, length 0
		}
		req, err := http.NewRequest(method, u.String(), body)
		if err != nil {
			log.Fatalf("request: %v", err)
		}
		if *grpc {
			req.Header.Set("Content-Type", "application/grpc")
			req.Header.Set("Te", "trailers")
		}
		resp, err := client.Do(req)
		if err != nil {
			log.Printf("%s %s: %s", method, u.String(), err.Error())
			continue
		}
		nb, rerr := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if rerr != nil {
			log.Printf("%s %s: %d, body after %d bytes: %s", method, u.String(), resp.StatusCode, nb, rerr.Error())
			continue
		}
		if gs := resp.Trailer.Get("Grpc-Status"); gs != "" && gs != "0" {
			log.Printf("%s %s: %d, grpc-status %s: %s", method, u.String(), resp.StatusCode, gs, resp.Trailer.Get("Grpc-Message"))
			continue
		}
		log.Printf("%s %s: %d", method, u.String(), resp.StatusCode)
		if resp.StatusCode >= 200 && resp.StatusCode < 400 {
			ok++
		}
	}
	finish(ok, *n)
}

func finish(ok, n int) {
	log.Printf("client: %d/%d succeeded", ok, n)
	if ok != n {
		os.Exit(1)
	}
	os.Exit(0)
}
