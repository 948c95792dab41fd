#ifndef NETCORR_CPCAP_SHIM_H
#define NETCORR_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
