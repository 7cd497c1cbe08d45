#!/usr/bin/env python3
"""samples/make/pcap_write.py OUT {usec|nsec}: three Ethernet/IPv4 packets (UDP, TCP SYN,
ICMP echo) written with dpkt's pcap.Writer (native = little-endian byte order here).
Made here, CC0."""
import sys

import dpkt

out, prec = sys.argv[1:3]
nano = prec == 'nsec'
src, dst = bytes([192, 0, 2, 1]), bytes([198, 51, 100, 7])   # documentation addresses (RFC 5737)
mac_a, mac_b = bytes.fromhex('020000000001'), bytes.fromhex('020000000002')


def eth(ip):
    return bytes(dpkt.ethernet.Ethernet(src=mac_a, dst=mac_b, type=dpkt.ethernet.ETH_TYPE_IP, data=ip))


udp = dpkt.udp.UDP(sport=5353, dport=53, data=b'unstruct sample')
udp.ulen = len(udp)
ip1 = dpkt.ip.IP(src=src, dst=dst, p=dpkt.ip.IP_PROTO_UDP, ttl=64, data=udp)
tcp = dpkt.tcp.TCP(sport=40000, dport=80, seq=1, flags=dpkt.tcp.TH_SYN, win=65535)
ip2 = dpkt.ip.IP(src=src, dst=dst, p=dpkt.ip.IP_PROTO_TCP, ttl=64, data=tcp)
icmp = dpkt.icmp.ICMP(type=8, code=0, data=dpkt.icmp.ICMP.Echo(id=7, seq=1, data=b'ping' * 4))
ip3 = dpkt.ip.IP(src=src, dst=dst, p=dpkt.ip.IP_PROTO_ICMP, ttl=64, data=icmp)
with open(out, 'wb') as f:
    w = dpkt.pcap.Writer(f, snaplen=65535 if not nano else 96, linktype=dpkt.pcap.DLT_EN10MB, nano=nano)
    base = 1700000000
    for n, ip in enumerate((ip1, ip2, ip3)):
        frame = eth(ip)
        if nano:
            ts = base + n + (123456789 + n) / 1e9
        else:
            ts = base + n + (123456 + n) / 1e6
        w.writepkt(frame, ts=ts)
