#!/usr/bin/env bash
# netcorr failure lab: builds the Go lab programs, sets up network namespaces,
# runs one scenario at a time and writes captures/NAME/.
#
#   scripts/lab/build            build scripts/lab/bin/{client,server,dnsd,stamp}
#   scripts/lab/list             list scenarios
#   scripts/lab/run NAME...      run scenarios (builds if needed); "all" = every one
#
# Must run as root. Everything happens inside namespaces ncl-{br,cli,dns,srv}
# (10.77.0.0/24, fd77::/64), which are removed again on exit.
set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$LAB_DIR/../.." && pwd)
BIN=$LAB_DIR/bin
CAPTURES=${NETCORR_CAPTURES:-$REPO/captures}

NS_BR=ncl-br NS_CLI=ncl-cli NS_DNS=ncl-dns NS_SRV=ncl-srv
CLI4=10.77.0.10 DNS4=10.77.0.53 SRV4=10.77.0.80 NOBODY4=10.77.0.99
CLI6=fd77::10 DNS6=fd77::53 SRV6=fd77::80 NOBODY6=fd77::99
SNAPLEN=1600

die() { echo "lab: $*" >&2; exit 1; }
say() { echo "lab: $*" >&2; }

# ---------------------------------------------------------------- build
build() {
	# cgo stays on (needs gcc): a default build, so with GODEBUG=netdns=go the
	# runtime logs "GODEBUG setting forcing use of Go's resolver" as production binaries do
	export GO111MODULE=off GOPATH="$LAB_DIR/go:/usr/share/gocode" GOFLAGS=
	mkdir -p "$BIN"
	for p in client server dnsd stamp; do
		say "go build netcorrlab/$p"
		go build -o "$BIN/$p" "netcorrlab/$p"
	done
}
ensure_built() {
	local p
	for p in client server dnsd stamp; do
		[[ -x $BIN/$p ]] || { build; return; }
	done
}

# ---------------------------------------------------------------- topology
PIDS=()
TMP=""
cleanup() {
	set +e
	local pid ns
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	PIDS=()
	for ns in $NS_CLI $NS_DNS $NS_SRV $NS_BR; do
		if [[ -e /run/netns/$ns ]]; then
			# anything still running inside our own namespaces, by pid
			for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null; done
			ip netns del "$ns" 2>/dev/null # removes its veths and iptables rules too
		fi
		rm -rf "/etc/netns/$ns"
	done
	[[ -n $TMP ]] && rm -rf "$TMP"
	TMP=""
}

CMDLOG=/dev/null
x() { # run and record a command
	printf '%s\n' "$*" >>"$CMDLOG"
	"$@"
}

topology() {
	local ns
	for ns in $NS_BR $NS_CLI $NS_DNS $NS_SRV; do
		x ip netns add $ns
		x ip -n $ns link set lo up
		# no router solicitations / RAs / DAD noise in the captures
		x ip netns exec $ns sysctl -qw net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
			net.ipv6.conf.all.router_solicitations=0 net.ipv6.conf.default.router_solicitations=0
		# no ICMP rate limiting: otherwise the 7th port-unreachable in a burst is
		# suppressed and one refused DNS query looks like an unanswered one
		x ip netns exec $ns sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
	done
	x ip netns exec $NS_BR sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
	x ip -n $NS_BR link add br0 type bridge stp_state 0 forward_delay 0
	x ip -n $NS_BR link set br0 up
	local spec name ns4 ns6 ns_
	for spec in "cli:$NS_CLI:$CLI4:$CLI6" "dns:$NS_DNS:$DNS4:$DNS6" "srv:$NS_SRV:$SRV4:$SRV6"; do
		IFS=: read -r name ns_ ns4 ns6 <<<"${spec%%:fd77*}"
		ns6=fd77::${spec##*fd77::}
		x ip -n $ns_ link add eth0 type veth peer name "$name" netns $NS_BR
		x ip -n $NS_BR link set "$name" master br0 up
		x ip -n $ns_ addr add "$ns4/24" dev eth0
		x ip -n $ns_ addr add "$ns6/64" dev eth0 nodad
		# no TSO/GSO super-packets: what tcpdump sees is what a wire would carry
		x ip -n $ns_ link set eth0 gso_max_segs 1 gso_max_size 1500
		x ip -n $NS_BR link set "$name" gso_max_segs 1 gso_max_size 1500
		x ip -n $ns_ link set eth0 up
	done
	mkdir -p /etc/netns/$NS_CLI
	printf '127.0.0.1\tlocalhost\n::1\tlocalhost\n' >/etc/netns/$NS_CLI/hosts
	printf '%s\n' "${RESOLV[@]}" >/etc/netns/$NS_CLI/resolv.conf
	printf '# /etc/netns/%s/resolv.conf\n' $NS_CLI >>"$CMDLOG"
	printf '#   %s\n' "${RESOLV[@]}" >>"$CMDLOG"
}

wait_listen() { # ns proto port
	local i
	for i in $(seq 50); do
		if ip netns exec "$1" ss -H -ln"${2:0:1}" "sport = :$3" | grep -q .; then return 0; fi
		sleep 0.1
	done
	die "nothing listening on $2 port $3 in $1"
}

# ---------------------------------------------------------------- scenarios
# Each scenario function sets the variables below (defaults() first).
defaults() {
	DESC=""
	RESOLV=("nameserver $DNS4" "search lab.test" "options timeout:1 attempts:2")
	DNSD=(-listen "$DNS4:53" -listen "[$DNS6]:53" -rr "app.lab.test=$SRV4" -rr "app6.lab.test=$SRV6")
	RUN_DNSD=1
	SERVER=(-mode h2c -listen :8080)
	RUN_SERVER=1
	SERVER_PORT=8080
	CLIENT=(-url http://app.lab.test:8080/ok -n 1 -timeout 8s)
	IPT=() # "NS|command ..." run before the servers start
	EXIT=0
	FINDINGS=() # "cause:layer"
	ABSENT=(network service local) # a run without findings must flag no layer
	WIRE=true # false: only the program's log can show the failure (nothing of it reaches the wire in clear)
	NOTES=""
	POST_WAIT=0.5
	LOG_CHECKS=('go package net: GODEBUG setting forcing use of Go.s resolver' 'go package net: hostLookupOrder\(')
	PCAP_CHECKS=() # "MIN MAX FILTER"  (MAX may be -)
	KEYLOG=0
}
log_check() { LOG_CHECKS+=("$1"); }
pcap_check() { PCAP_CHECKS+=("$1 $2 $3"); } # min max filter
h2_log_checks() {
	log_check 'http2: Transport creating client conn 0x[0-9a-f]+ to '
	log_check 'http2: Framer 0x[0-9a-f]+: wrote SETTINGS'
}

SCENARIOS=(
	dns-ok dns-no-response-blackhole dns-no-response-nobody dns-not-sent dns-port-unreachable
	dns-servfail dns-refused dns-nxdomain dns-late-response dns-aaaa-unanswered dns-truncated-tcp-blocked
	tcp-syn-timeout tcp-refused tcp-reset
	h2-ok-h2c h2-ok-tls h2-goaway h2-rst-stream h2-5xx-h2c h2-5xx-tls h2-ping-timeout h2-flow-control-stall
	dns-ok-v6 dns-no-response-v6 tcp-refused-v6
	tcp-retransmission-timeout tcp-zero-window h2-conn-closed h2-settings-timeout h2-grpc-error
	h2-ok-lossy
)

# --- DNS
s_dns_ok() {
	DESC="LookupHost app.lab.test (A answered, AAAA NOERROR/NODATA), then an h2c GET /ok (which resolves again): both succeed."
	CLIENT=(-url http://app.lab.test:8080/ok -n 1 -timeout 8s -lookup)
	NOTES="Baseline: the client logs lookup app.lab.test: 10.77.0.80 (Go asks A and AAAA in parallel), then the h2c prior-knowledge request resolves again (Go has no cache: two rounds of A+AAAA in the capture) and gets 200."
	log_check 'lookup app.lab.test: 10.77.0.80'
	pcap_check 2 - 'dns.qry.type==1 && dns.flags.response==0'
	h2_log_checks
	log_check 'GET http://app.lab.test:8080/ok: 200'
	pcap_check 1 - 'dns.flags.response==1 && dns.a==10.77.0.80'
	pcap_check 1 - 'http2.type==1'
}
s_dns_no_response_blackhole() {
	DESC="DNS server namespace drops all port-53 traffic (iptables DROP): queries leave, no answers."
	IPT=("$NS_DNS|iptables -A INPUT -p udp --dport 53 -j DROP" "$NS_DNS|iptables -A INPUT -p tcp --dport 53 -j DROP")
	EXIT=1 FINDINGS=(dns.no-response:network) ABSENT=(service local)
	NOTES="Every A/AAAA query (app.lab.test. then app.lab.test.lab.test. from the search list, 2 attempts each, timeout 1 s) goes unanswered; Go reports i/o timeout."
	log_check 'lookup app.lab.test on 10.77.0.53:53: .*i/o timeout'
	pcap_check 4 - 'dns.flags.response==0'
	pcap_check 0 0 'dns.flags.response==1'
}
s_dns_no_response_nobody() {
	WIRE=false
	DESC="resolv.conf names 10.77.0.99, an address in the subnet that nobody has: ARP is never answered."
	RESOLV=("nameserver $NOBODY4" "search lab.test" "options timeout:1 attempts:2")
	EXIT=1 FINDINGS=(dns.no-response:network) ABSENT=(service local)
	NOTES="The kernel holds the UDP queries while ARP for 10.77.0.99 goes unanswered, so the capture has ARP who-has requests and no DNS packets on the wire; Go reports i/o timeout (or no route to host once the neighbour entry fails)."
	log_check 'lookup app.lab.test on 10.77.0.99:53: '
	pcap_check 1 - 'arp.opcode==1 && arp.dst.proto_ipv4==10.77.0.99'
	pcap_check 0 0 'arp.opcode==2'
}
s_dns_not_sent() {
	WIRE=false
	DESC="Client namespace firewall drops its own outgoing DNS (iptables OUTPUT DROP udp/tcp dport 53)."
	IPT=("$NS_CLI|iptables -A OUTPUT -p udp --dport 53 -j DROP" "$NS_CLI|iptables -A OUTPUT -p tcp --dport 53 -j DROP")
	EXIT=1 FINDINGS=(dns.not-sent:local) ABSENT=(network service)
	NOTES="sendmsg fails with EPERM inside the host, nothing reaches the wire; Go reports write: operation not permitted."
	log_check 'write: operation not permitted'
	pcap_check 0 0 'dns'
}
s_dns_port_unreachable() {
	DESC="DNS namespace is up but nothing listens on port 53: ICMP port unreachable."
	RUN_DNSD=0
	EXIT=1 FINDINGS=(dns.port-unreachable:service) ABSENT=(network local)
	NOTES="Each query is answered by ICMP destination unreachable (port unreachable) from 10.77.0.53; Go reports read: connection refused."
	log_check 'read: connection refused'
	pcap_check 1 - 'icmp.type==3 && icmp.code==3'
}
s_dns_servfail() {
	DESC="dnsd answers SERVFAIL for every query."
	DNSD+=(-rule '*/*=servfail')
	EXIT=1 FINDINGS=(dns.servfail:service) ABSENT=(network local)
	NOTES="rcode 2 for A and AAAA of app.lab.test. and app.lab.test.lab.test.; Go 1.19 reports server misbehaving."
	log_check 'lookup app.lab.test on 10.77.0.53:53: server misbehaving'
	pcap_check 1 - 'dns.flags.rcode==2'
}
s_dns_refused() {
	DESC="dnsd answers REFUSED for every query."
	DNSD+=(-rule '*/*=refused')
	EXIT=1 FINDINGS=(dns.refused:service) ABSENT=(network local)
	NOTES="rcode 5 for every query; Go 1.19 reports server misbehaving (same text as SERVFAIL: only the capture tells them apart)."
	log_check 'lookup app.lab.test on 10.77.0.53:53: server misbehaving'
	pcap_check 1 - 'dns.flags.rcode==5'
}
s_dns_nxdomain() {
	DESC="Client asks for the short name nosuch; with search lab.test Go tries nosuch.lab.test. and nosuch.; both NXDOMAIN."
	CLIENT=(-url http://nosuch:8080/ok -n 1 -timeout 8s)
	EXIT=1 FINDINGS=(dns.nxdomain:service) ABSENT=(network local)
	NOTES="Both search-list candidates get rcode 3 (NXDOMAIN) for A and AAAA; Go reports no such host for the original name."
	log_check 'lookup nosuch on 10.77.0.53:53: no such host'
	pcap_check 2 - 'dns.flags.rcode==3 && dns.qry.name=="nosuch.lab.test"'
	pcap_check 2 - 'dns.flags.rcode==3 && dns.qry.name=="nosuch"'
}
s_dns_late_response() {
	DESC="dnsd delays every answer by 1500 ms, beyond the 1 s resolver timeout."
	DNSD+=(-rule '*/*=delay:1500')
	EXIT=1 FINDINGS=(dns.late-response:service) ABSENT=(network local)
	POST_WAIT=2
	NOTES="Answers arrive ~1.5 s after each query, after Go closed the socket, so the client host answers them with ICMP port unreachable; Go reports i/o timeout."
	log_check 'lookup app.lab.test on 10.77.0.53:53: .*i/o timeout'
	pcap_check 1 - 'dns.flags.response==1 && dns.time > 1.2'
	pcap_check 1 - 'icmp.type==3 && icmp.code==3 && ip.src==10.77.0.10'
}
s_dns_aaaa_unanswered() {
	DESC="dnsd never answers AAAA queries; the A answer arrives at once. The request succeeds, late."
	DNSD+=(-rule '*/AAAA=drop')
	EXIT=0 FINDINGS=(dns.no-response:network) ABSENT=(service local)
	NOTES="Go waits for the AAAA query (2 attempts x 1 s) before using the A answer, then the request succeeds: exit 0 but ~2 s lost to an unanswered AAAA."
	h2_log_checks
	log_check 'GET http://app.lab.test:8080/ok: 200'
	pcap_check 2 - 'dns.qry.type==28 && dns.flags.response==0'
	pcap_check 0 0 'dns.qry.type==28 && dns.flags.response==1'
	pcap_check 1 - 'dns.qry.type==1 && dns.flags.response==1'
}
s_dns_truncated_tcp_blocked() {
	DESC="dnsd sets TC=1 over UDP (answers fully over TCP), but the DNS namespace drops TCP port 53."
	DNSD+=(-rule '*/*=truncate')
	IPT=("$NS_DNS|iptables -A INPUT -p tcp --dport 53 -j DROP")
	EXIT=1 FINDINGS=(dns.truncated-retry-failed:network) ABSENT=(service local)
	NOTES="Truncated UDP answers make Go retry over TCP; the SYNs to port 53 are dropped and the retry times out (i/o timeout)."
	log_check 'lookup app.lab.test on 10.77.0.53:53: '
	pcap_check 1 - 'dns.flags.truncated==1'
	pcap_check 1 - 'tcp.dstport==53 && tcp.flags.syn==1'
	pcap_check 0 0 'tcp.srcport==53'
}
# --- TCP
s_tcp_syn_timeout() {
	DESC="Server namespace drops SYNs to 8080 (iptables); connect times out (net.Dialer.Timeout 3 s)."
	IPT=("$NS_SRV|iptables -A INPUT -p tcp --dport 8080 --syn -j DROP")
	CLIENT=(-url http://app.lab.test:8080/ok -n 1 -timeout 8s -dial-timeout 3s)
	EXIT=1 FINDINGS=(tcp.syn-timeout:network) ABSENT=(service local)
	NOTES="DNS works; SYN to 10.77.0.80:8080 is retransmitted and never answered; Go reports dial tcp 10.77.0.80:8080: i/o timeout."
	log_check 'dial tcp 10.77.0.80:8080: i/o timeout'
	pcap_check 2 - 'tcp.dstport==8080 && tcp.flags.syn==1 && tcp.flags.ack==0'
	pcap_check 0 0 'tcp.srcport==8080'
}
s_tcp_refused() {
	DESC="Nothing listens on 10.77.0.80:8080: the SYN is answered with RST."
	RUN_SERVER=0
	EXIT=1 FINDINGS=(tcp.refused:service) ABSENT=(network local)
	NOTES="Go reports dial tcp 10.77.0.80:8080: connect: connection refused."
	log_check 'dial tcp 10.77.0.80:8080: connect: connection refused'
	pcap_check 1 - 'tcp.srcport==8080 && tcp.flags.reset==1'
}
s_tcp_reset() {
	DESC="Raw server answers GET /ok with HEADERS 200 (content-length 1000) and 200 body bytes, then closes with SO_LINGER 0: RST mid-response."
	SERVER=(-mode raw-rst -listen :8080)
	EXIT=1 FINDINGS=(tcp.reset:service) ABSENT=(network local)
	NOTES="Connection established, request and response headers exchanged, part of the body received, then RST from the server; Go reports the body read error read: connection reset by peer."
	h2_log_checks
	log_check 'GET http://app.lab.test:8080/ok: 200, body after 200 bytes: read tcp 10.77.0.10:[0-9]+->10.77.0.80:8080: read: connection reset by peer'
	pcap_check 1 - 'tcp.srcport==8080 && tcp.flags.reset==1'
	pcap_check 1 - 'http2.type==1 && tcp.srcport==8080'
}
# --- HTTP/2
s_h2_ok_h2c() {
	DESC="Two h2c GETs of /big (70000 bytes each, more than the 65535 initial window) on one connection."
	SERVER=(-mode h2c -listen :8080 -big-size 70000)
	CLIENT=(-url http://app.lab.test:8080/big -n 2 -interval 200ms -timeout 8s)
	NOTES="Successful HTTP/2 cleartext exchange with WINDOW_UPDATE frames from the client (flow control works)."
	h2_log_checks
	log_check 'GET http://app.lab.test:8080/big: 200'
	pcap_check 2 - 'http2.type==1 && tcp.dstport==8080'
	pcap_check 1 - 'http2.type==8'
}
s_h2_ok_lossy() {
	DESC="Two h2c GETs of /big (70000 bytes) while the client's namespace drops every 6th data segment from the server after the capture point: retransmissions, duplicate ACKs with SACK, and success."
	SERVER=(-mode h2c -listen :8080 -big-size 70000)
	CLIENT=(-url http://app.lab.test:8080/big -n 2 -interval 200ms -timeout 8s)
	# No netem here (no sch_netem). Drops in the server's OUTPUT chain do not see GSO-sized skbs reliably; the
	# client's INPUT chain (after tcpdump's capture point) sees every segment: the capture holds the segment, the
	# client never takes it, the server retransmits it after the client's SACKed duplicate ACKs.
	IPT=("$NS_CLI|iptables -A INPUT -p tcp --sport 8080 --tcp-flags SYN,FIN,RST NONE -m length --length 1000:65535 -m statistic --mode nth --every 6 --packet 5 -j DROP")
	NOTES="Loss as seen from the client's capture point: tshark flags the server's retransmissions and the client's duplicate ACKs; HTTP/2 frames still decode in order, both requests get 200: no finding (a retransmission that recovers is a near-miss)."
	h2_log_checks
	log_check 'GET http://app.lab.test:8080/big: 200'
	pcap_check 1 - 'tcp.analysis.retransmission && tcp.srcport==8080'
	pcap_check 1 - 'tcp.analysis.duplicate_ack && tcp.dstport==8080'
	pcap_check 2 - 'http2.type==1 && tcp.srcport==8080'
}
s_h2_ok_tls() {
	DESC="Three HTTP/2-over-TLS GETs of /ok (self-signed cert, ALPN h2) on one connection; TLS keys in keylog.txt."
	SERVER=(-mode tls -listen :8443)
	SERVER_PORT=8443
	CLIENT=(-url https://app.lab.test:8443/ok -n 3 -interval 200ms -timeout 8s)
	KEYLOG=1
	NOTES="keylog.txt (NSS key log written by the client) lets tshark decrypt: tshark -o tls.keylog_file:keylog.txt."
	h2_log_checks
	log_check 'GET https://app.lab.test:8443/ok: 200'
	pcap_check 1 - 'tls.handshake.type==1'
	pcap_check 3 - 'http2.type==1 && tcp.dstport==8443'
}
s_h2_goaway() {
	DESC="Raw-framer server answers the request HEADERS with GOAWAY ENHANCE_YOUR_CALM (last stream = the request, 3) and closes."
	SERVER=(-mode raw-goaway -listen :8080 -goaway-code ENHANCE_YOUR_CALM)
	EXIT=1 FINDINGS=(h2.goaway:service) ABSENT=(network local)
	NOTES="Go reports http2: server sent GOAWAY and closed the connection; ErrCode=ENHANCE_YOUR_CALM."
	h2_log_checks
	log_check 'transport got GOAWAY with error code = ENHANCE_YOUR_CALM'
	log_check 'server sent GOAWAY and closed the connection; LastStreamID=3, ErrCode=ENHANCE_YOUR_CALM'
	pcap_check 1 - 'http2.type==7 && http2.goaway.error==11'
}
s_h2_rst_stream() {
	DESC="h2c server handler for /reset panics with http.ErrAbortHandler: RST_STREAM INTERNAL_ERROR."
	CLIENT=(-url http://app.lab.test:8080/reset -n 1 -timeout 8s)
	EXIT=1 FINDINGS=(h2.rst-stream:service) ABSENT=(network local)
	NOTES="Go reports stream error: stream ID 3; INTERNAL_ERROR; received from peer."
	h2_log_checks
	log_check 'stream error: stream ID 3; INTERNAL_ERROR; received from peer'
	pcap_check 1 - 'http2.type==3 && tcp.srcport==8080'
}
s_h2_5xx_h2c() {
	DESC="h2c GET /500 answered with :status 503."
	CLIENT=(-url http://app.lab.test:8080/500 -n 1 -timeout 8s)
	EXIT=1 FINDINGS=(h2.status-5xx:service) ABSENT=(network local)
	NOTES="No Go error: the client logs the status 503 and exits 1."
	h2_log_checks
	log_check 'GET http://app.lab.test:8080/500: 503'
	pcap_check 1 - 'http2.headers.status==503'
}
s_h2_5xx_tls() {
	WIRE=false
	DESC="HTTP/2-over-TLS GET /500?code=500 answered with :status 500 (TLS keys in keylog.txt)."
	SERVER=(-mode tls -listen :8443)
	SERVER_PORT=8443
	CLIENT=(-url 'https://app.lab.test:8443/500?code=500' -n 1 -timeout 8s)
	KEYLOG=1
	EXIT=1 FINDINGS=(h2.status-5xx:service) ABSENT=(network local)
	NOTES="Encrypted in the capture; the status is visible only with keylog.txt or in the log (GET ...: 500)."
	h2_log_checks
	log_check 'GET https://app.lab.test:8443/500\?code=500: 500'
	pcap_check 1 - 'http2.headers.status==500'
}
s_h2_ping_timeout() {
	DESC="Raw-framer server takes the request, never answers and ignores PINGs; client health check (ReadIdleTimeout=PingTimeout=1s) gives up."
	SERVER=(-mode raw-noping -listen :8080)
	CLIENT=(-url http://app.lab.test:8080/ok -n 1 -timeout 10s -ping 1s)
	EXIT=1 FINDINGS=(h2.ping-timeout:service) ABSENT=(network local)
	NOTES="The server host TCP-ACKs the PING but sends no PING ACK; after 1 s Go logs the health check failure and closes the connection: http2: client connection lost."
	h2_log_checks
	log_check 'http2: Transport sending health check'
	log_check 'http2: Transport health check failure'
	log_check 'http2: client connection lost'
	pcap_check 1 - 'http2.type==6 && tcp.dstport==8080'
	pcap_check 0 0 'http2.type==6 && http2.flags.ack.ping==1'
}
s_h2_flow_control_stall() {
	DESC="Raw-framer server never sends WINDOW_UPDATE (advertises INITIAL_WINDOW_SIZE 65535); client POSTs 100000 bytes."
	SERVER=(-mode raw-nowindow -listen :8080 -window 65535)
	CLIENT=(-url http://app.lab.test:8080/upload -n 1 -timeout 4s -body-size 100000)
	EXIT=1 FINDINGS=(h2.flow-control-stall:service) ABSENT=(network local)
	NOTES="The client sends exactly 65535 body bytes (the whole stream and connection window), then waits for WINDOW_UPDATE that never comes; TCP is fine (the server reads everything, no zero window); Client.Timeout (4 s) ends the request. A smaller advertised window is not used because the client may start the body before it processes the server SETTINGS (race), which made the byte count vary."
	h2_log_checks
	log_check 'Client.Timeout exceeded while awaiting headers'
	pcap_check 1 - 'http2.settings.initial_window_size==65535 && tcp.srcport==8080'
	pcap_check 1 - 'http2.type==0 && tcp.dstport==8080'
	pcap_check 0 0 'http2.type==8 && tcp.srcport==8080'
	pcap_check 0 0 'tcp.analysis.zero_window'
}
# --- IPv6
s_dns_ok_v6() {
	DESC="Resolver at fd77::53 over IPv6; app6.lab.test has only AAAA fd77::80; h2c GET over IPv6 succeeds."
	RESOLV=("nameserver $DNS6" "search lab.test" "options timeout:1 attempts:2")
	CLIENT=(-url http://app6.lab.test:8080/ok -n 1 -timeout 8s)
	NOTES="DNS and HTTP/2 both over IPv6."
	h2_log_checks
	log_check 'GET http://app6.lab.test:8080/ok: 200'
	pcap_check 1 - 'ipv6 && dns.flags.response==1 && dns.aaaa==fd77::80'
	pcap_check 1 - 'ipv6 && http2.type==1'
}
s_dns_no_response_v6() {
	DESC="Resolver at fd77::53; the DNS namespace drops port 53 over IPv6 (ip6tables DROP)."
	RESOLV=("nameserver $DNS6" "search lab.test" "options timeout:1 attempts:2")
	IPT=("$NS_DNS|ip6tables -A INPUT -p udp --dport 53 -j DROP" "$NS_DNS|ip6tables -A INPUT -p tcp --dport 53 -j DROP")
	CLIENT=(-url http://app6.lab.test:8080/ok -n 1 -timeout 8s)
	EXIT=1 FINDINGS=(dns.no-response:network) ABSENT=(service local)
	NOTES="IPv6 queries go unanswered; Go reports i/o timeout with [fd77::53]:53 in the error."
	log_check 'lookup app6.lab.test on \[fd77::53\]:53: .*i/o timeout'
	pcap_check 4 - 'ipv6 && dns.flags.response==0'
	pcap_check 0 0 'dns.flags.response==1'
}
s_tcp_refused_v6() {
	DESC="app6.lab.test resolves to fd77::80 where nothing listens on 8080: RST over IPv6."
	RESOLV=("nameserver $DNS6" "search lab.test" "options timeout:1 attempts:2")
	RUN_SERVER=0
	CLIENT=(-url http://app6.lab.test:8080/ok -n 1 -timeout 8s)
	EXIT=1 FINDINGS=(tcp.refused:service) ABSENT=(network local)
	NOTES="Go reports dial tcp [fd77::80]:8080: connect: connection refused."
	log_check 'dial tcp \[fd77::80\]:8080: connect: connection refused'
	pcap_check 1 - 'ipv6 && tcp.srcport==8080 && tcp.flags.reset==1'
}

# --- extra causes
s_tcp_retransmission_timeout() {
	DESC="After the handshake the server namespace drops every client segment that carries data (iptables length match): the client retransmits until Client.Timeout (4 s)."
	IPT=("$NS_SRV|iptables -A INPUT -p tcp --dport 8080 ! --syn -m length --length 53:65535 -j DROP")
	CLIENT=(-url http://app.lab.test:8080/ok -n 1 -timeout 4s)
	EXIT=1 FINDINGS=(tcp.retransmission-timeout:network) ABSENT=(service local)
	NOTES="SYN, SYN-ACK, ACK pass (pure ACKs are 52 bytes), the server even sends its SETTINGS, but the client preface/HEADERS segments are dropped and retransmitted with exponential backoff; Go reports context deadline exceeded (Client.Timeout exceeded while awaiting headers)."
	h2_log_checks
	log_check 'Client.Timeout exceeded while awaiting headers'
	pcap_check 3 - 'tcp.analysis.retransmission && tcp.dstport==8080'
}
s_tcp_zero_window() {
	DESC="Raw server (SO_RCVBUF 4096) sends SETTINGS with huge HTTP/2 windows, then never reads; the client POSTs 1 MB and hits a TCP zero window."
	SERVER=(-mode raw-noread -listen :8080 -rcvbuf 4096)
	CLIENT=(-url http://app.lab.test:8080/upload -n 1 -timeout 4s -body-size 1000000)
	EXIT=1 FINDINGS=(tcp.zero-window:service) ABSENT=(network local)
	NOTES="The server's receive window closes to 0 after a few KB, the client sends zero-window probes until Client.Timeout (4 s); HTTP/2 flow control is not what stalls (windows of 2^30)."
	h2_log_checks
	log_check 'Client.Timeout exceeded'
	pcap_check 1 - 'tcp.analysis.zero_window && tcp.srcport==8080'
	pcap_check 1 - 'tcp.analysis.zero_window_probe || tcp.analysis.keep_alive'
}
s_h2_conn_closed() {
	DESC="Raw server reads the request HEADERS and closes the connection with FIN, without GOAWAY or any response."
	SERVER=(-mode raw-close -listen :8080)
	EXIT=1 FINDINGS=(h2.conn-closed:service) ABSENT=(network local)
	NOTES="Orderly TCP close (FIN) by the server while the stream is open, no GOAWAY: x/net turns the EOF into unexpected EOF."
	h2_log_checks
	log_check 'GET http://app.lab.test:8080/ok: Get "http://app.lab.test:8080/ok": unexpected EOF'
	pcap_check 1 - 'tcp.srcport==8080 && tcp.flags.fin==1'
	pcap_check 0 0 'http2.type==7'
	pcap_check 0 0 'tcp.srcport==8080 && tcp.flags.reset==1'
}
s_h2_settings_timeout() {
	DESC="Raw server accepts TCP and reads the preface but never sends anything, not even SETTINGS."
	SERVER=(-mode raw-silent -listen :8080)
	CLIENT=(-url http://app.lab.test:8080/ok -n 1 -timeout 3s)
	EXIT=1 FINDINGS=(h2.settings-timeout:service) ABSENT=(network local)
	NOTES="x/net does not wait for the server SETTINGS before sending the request and has no SETTINGS timeout of its own: Client.Timeout (3 s) ends it. The capture shows the client preface/SETTINGS/HEADERS ACKed by TCP and no HTTP/2 frame from the server."
	h2_log_checks
	log_check 'Client.Timeout exceeded while awaiting headers'
	pcap_check 1 - 'http2.type==4 && tcp.dstport==8080'
	pcap_check 0 0 'http2 && tcp.srcport==8080'
}
s_h2_grpc_error() {
	DESC="gRPC-style POST /grpc over h2c: :status 200 but trailers grpc-status 14 (UNAVAILABLE)."
	CLIENT=(-url http://app.lab.test:8080/grpc -n 1 -timeout 8s -grpc)
	EXIT=1 FINDINGS=(h2.grpc-error:service) ABSENT=(network local)
	NOTES="HTTP/2 succeeds; the error is only in the trailing HEADERS frame (grpc-status 14, grpc-message). The client logs it and exits 1."
	h2_log_checks
	log_check 'POST http://app.lab.test:8080/grpc: 200, grpc-status 14: netcorr lab: backend unavailable'
	pcap_check 1 - 'http2.header.value=="14" && tcp.srcport==8080'
}

# ---------------------------------------------------------------- run
json_str() {
	local s=${1//\\/\\\\}
	s=${s//\"/\\\"}
	printf '"%s"' "$s"
}

write_expected() { # file status
	local f=$1 i sep=""
	{
		printf '{\n  "scenario": %s,\n  "findings": [' "$(json_str "$NAME")"
		for i in "${FINDINGS[@]}"; do
			printf '%s\n    {"cause": %s, "layer": %s}' "$sep" "$(json_str "${i%%:*}")" "$(json_str "${i##*:}")"
			sep=","
		done
		[[ -n $sep ]] && printf '\n  '
		printf '],\n  "absent_layers": ['
		sep=""
		for i in "${ABSENT[@]}"; do printf '%s%s' "$sep" "$(json_str "$i")"; sep=", "; done
		printf '],\n  "wire_shows_it": %s,\n  "exit_status": %d,\n  "notes": %s\n}\n' "$WIRE" "$EXIT" "$(json_str "$NOTES")"
	} >"$f"
}

run_one() {
	NAME=$1
	local fn=s_${NAME//-/_}
	declare -F "$fn" >/dev/null || die "unknown scenario $NAME (see: scripts/lab/list)"
	defaults
	"$fn"
	say "=== $NAME: $DESC"
	cleanup
	TMP=$(mktemp -d /tmp/netcorr-lab.XXXXXX)
	local out=$TMP/out
	mkdir -p "$out"
	CMDLOG=$TMP/commands
	: >"$CMDLOG"
	topology
	local r ns cmd
	for r in "${IPT[@]}"; do
		ns=${r%%|*} cmd=${r#*|}
		# shellcheck disable=SC2086
		x ip netns exec "$ns" $cmd
	done
	if ((RUN_DNSD)); then
		printf '%s\n' "ip netns exec $NS_DNS scripts/lab/bin/dnsd $(printf '%q ' "${DNSD[@]}")" >>"$CMDLOG"
		ip netns exec $NS_DNS "$BIN/dnsd" "${DNSD[@]}" >"$out/dnsd.log" 2>&1 &
		PIDS+=($!)
		wait_listen $NS_DNS udp 53
	fi
	if ((RUN_SERVER)); then
		printf '%s\n' "ip netns exec $NS_SRV scripts/lab/bin/server $(printf '%q ' "${SERVER[@]}")" >>"$CMDLOG"
		ip netns exec $NS_SRV "$BIN/server" "${SERVER[@]}" >"$out/server.log" 2>&1 &
		PIDS+=($!)
		wait_listen $NS_SRV tcp "$SERVER_PORT"
	fi
	printf '%s\n' "ip netns exec $NS_CLI tcpdump -i any --immediate-mode -U -s $SNAPLEN -Z root -w capture.pcap &" >>"$CMDLOG"
	ip netns exec $NS_CLI tcpdump -i any --immediate-mode -U -s $SNAPLEN -Z root -w "$out/capture.pcap" 2>"$TMP/tcpdump.err" &
	local tcpdump_pid=$!
	PIDS+=($tcpdump_pid)
	local i
	for i in $(seq 50); do grep -q 'listening on' "$TMP/tcpdump.err" 2>/dev/null && break; sleep 0.1; done
	grep -q 'listening on' "$TMP/tcpdump.err" || die "tcpdump did not start: $(cat "$TMP/tcpdump.err")"
	sleep 0.2

	local client=("${CLIENT[@]}")
	((KEYLOG)) && client+=(-keylog "$out/keylog.txt")
	local shown=("${CLIENT[@]}")
	((KEYLOG)) && shown+=(-keylog keylog.txt)
	printf '%s\n' "ip netns exec $NS_CLI env GODEBUG=netdns=go+2,http2debug=2 scripts/lab/bin/client $(printf '%q ' "${shown[@]}")2>&1 </dev/null | scripts/lab/bin/stamp -raw client.log -cri client.cri.log" >>"$CMDLOG"
	local t0=$SECONDS status
	set +e
	ip netns exec $NS_CLI env GODEBUG=netdns=go+2,http2debug=2 "$BIN/client" "${client[@]}" 2>&1 </dev/null |
		"$BIN/stamp" -raw "$out/client.log" -cri "$out/client.cri.log"
	status=${PIPESTATUS[0]}
	set -e
	local took=$((SECONDS - t0))
	sleep "$POST_WAIT"
	kill -INT $tcpdump_pid
	wait $tcpdump_pid || true
	printf '%s\n' "kill -INT <tcpdump>   # after the client exited and ${POST_WAIT}s more" >>"$CMDLOG"
	local stats
	stats=$(grep -E 'packets (captured|received by filter|dropped by kernel)' "$TMP/tcpdump.err" | tr '\n' ';' || true)
	cleanup_servers
	[[ -f $out/keylog.txt ]] && chmod 644 "$out/keylog.txt"

	# ---- checks
	local fails=0 results=() c min max filter n
	if [[ $status != "$EXIT" ]]; then
		results+=("FAIL exit status $status, expected $EXIT"); fails=$((fails + 1))
	else
		results+=("ok   exit status $status")
	fi
	for c in "${LOG_CHECKS[@]}"; do
		if grep -Eq -- "$c" "$out/client.log"; then results+=("ok   client.log =~ /$c/")
		else results+=("FAIL client.log !~ /$c/"); fails=$((fails + 1)); fi
	done
	local topts=(-d tcp.port==8080,http2)
	((KEYLOG)) && topts+=(-o "tls.keylog_file:$out/keylog.txt")
	for c in "${PCAP_CHECKS[@]}"; do
		min=${c%% *} c=${c#* } max=${c%% *} filter=${c#* }
		n=$(tshark -n "${topts[@]}" -r "$out/capture.pcap" -Y "$filter" 2>/dev/null | wc -l)
		if ((n >= min)) && [[ $max == - ]] || { [[ $max != - ]] && ((n >= min && n <= max)); }; then
			results+=("ok   tshark -Y '$filter': $n packets (want $min..$max)")
		else
			results+=("FAIL tshark -Y '$filter': $n packets (want $min..$max)"); fails=$((fails + 1))
		fi
	done
	printf '  %s\n' "${results[@]}" >&2

	write_expected "$out/expected.json"
	local linktype size npk
	linktype=$(tcpdump -r "$out/capture.pcap" -c 1 2>&1 >/dev/null | sed -n 's/.*link-type \([^ ]*\).*/\1/p' | head -1)
	size=$(stat -c %s "$out/capture.pcap")
	npk=$(tshark -r "$out/capture.pcap" 2>/dev/null | wc -l)
	{
		printf '# %s\n\n%s\n\n' "$NAME" "$DESC"
		printf '%s\n\n' "$NOTES"
		printf 'Made by `scripts/lab/run %s` (netcorr failure lab, see scripts/lab/README.md) on %s.\n' "$NAME" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		printf 'Client exit status %s after ~%ss. Capture: %s packets, %s bytes, link-type %s, snaplen %s; tcpdump: %s\n\n' \
			"$status" "$took" "$npk" "$size" "$linktype" "$SNAPLEN" "$stats"
		printf '## Files\n\n'
		printf -- '- `capture.pcap`: `tcpdump -i any` inside the client namespace (%s, %s / %s)\n' $NS_CLI $CLI4 $CLI6
		printf -- '- `client.log`: raw stderr of the client (GODEBUG=netdns=go+2,http2debug=2)\n'
		printf -- '- `client.cri.log`: the same lines in CRI log format, stamped on arrival by `stamp`\n'
		printf -- '- `expected.json`: what netcorr must find\n'
		[[ -f $out/dnsd.log ]] && printf -- '- `dnsd.log`: the DNS responder'"'"'s own log (not an input for netcorr)\n'
		[[ -f $out/server.log ]] && printf -- '- `server.log`: the HTTP/2 server'"'"'s own log (not an input for netcorr)\n'
		[[ -f $out/keylog.txt ]] && printf -- '- `keylog.txt`: TLS key log of the client (`tshark -o tls.keylog_file:keylog.txt`)\n'
		printf '\n## Commands (as run, in order)\n\n```\n'
		cat "$CMDLOG"
		printf '```\n\n## Checks at generation time\n\n```\n'
		printf '%s\n' "${results[@]}"
		printf '```\n\n## Versions\n\n```\n'
		go version
		tcpdump --version 2>&1 | head -2
		tshark --version 2>/dev/null | head -1
		dpkg-query -W -f='${Package} ${Version}\n' golang-golang-x-net-dev 2>/dev/null || true
		uname -sr
		printf '```\n'
	} >"$out/README.md"
	rm -rf "${CAPTURES:?}/$NAME"
	mkdir -p "$CAPTURES"
	cp -r "$out" "$CAPTURES/$NAME"
	cleanup
	if ((fails)); then
		say "$NAME: $fails check(s) FAILED (exit $status, ${took}s, $size bytes)"
		return 1
	fi
	say "$NAME: ok (exit $status, ${took}s, $size bytes)"
}

cleanup_servers() {
	local pid
	for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
	for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
	PIDS=()
}

cmd_run() {
	[[ $EUID -eq 0 ]] || die "must run as root (network namespaces)"
	(($#)) || die "usage: scripts/lab/run NAME... | all"
	local names=("$@") failed=()
	[[ $1 == all ]] && names=("${SCENARIOS[@]}")
	exec 9>/run/netcorr-lab.lock
	flock -n 9 || die "another lab run is in progress"
	ensure_built
	trap cleanup EXIT
	trap 'exit 130' INT TERM
	for n in "${names[@]}"; do
		run_one "$n" || failed+=("$n")
	done
	if ((${#failed[@]})); then
		say "FAILED: ${failed[*]}"
		return 1
	fi
	say "all ${#names[@]} scenario(s) ok"
}

cmd_list() {
	local n
	for n in "${SCENARIOS[@]}"; do
		defaults
		"s_${n//-/_}"
		printf '%-28s %s\n' "$n" "$DESC"
	done
}

# Sourced (scripts/lab/live-test): functions and variables only.
[[ ${BASH_SOURCE[0]} != "$0" ]] && return 0
case ${1:-} in
build) build ;;
run) shift; cmd_run "$@" ;;
list) cmd_list ;;
*) echo "usage: scripts/lab/{build,list,run NAME...|all} (or $0 build|list|run ...)" >&2; exit 2 ;;
esac
