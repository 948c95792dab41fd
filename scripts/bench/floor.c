/* The floor: the least any libpcap-based reader can do — open the file, pcap_next_ex every packet, count. */
#include <pcap/pcap.h>
#include <stdio.h>

int main(int argc, char **argv) {
    char err[PCAP_ERRBUF_SIZE];
    if (argc != 2) { fprintf(stderr, "usage: floor FILE\n"); return 2; }
    pcap_t *p = pcap_open_offline(argv[1], err);
    if (!p) { fprintf(stderr, "%s\n", err); return 2; }
    struct pcap_pkthdr *h;
    const u_char *d;
    unsigned long long n = 0, bytes = 0, sum = 0;
    int rc;
    while ((rc = pcap_next_ex(p, &h, &d)) == 1) { n++; bytes += h->len; sum += d[h->caplen - 1]; }
    printf("%llu packets %llu bytes %llu\n", n, bytes, sum);
    pcap_close(p);
    return rc == -2 ? 0 : 1;
}
