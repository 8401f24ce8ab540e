#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the seed corpora fuzz/corpus/<target>/ for the libFuzzer targets.

Each seed is a small, meaningful program in its target's input format (the
comment at the top of fuzz/fuzz_<target>.c): a FUSE session that opens,
reads, writes and releases files, a vsock connection that streams both ways,
a TSI connect, a console handshake, and so on. The fuzzers mutate from there.

    fuzz/gen_corpus.py            rewrites every corpus (run from anywhere)
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def u8(v):
    return struct.pack("<B", v & 0xFF)


def u16(v):
    return struct.pack("<H", v & 0xFFFF)


def u32(v):
    return struct.pack("<I", v & 0xFFFFFFFF)


def u64(v):
    return struct.pack("<Q", v & 0xFFFFFFFFFFFFFFFF)


def block(b):
    return u16(len(b)) + b


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def clear(target):
    d = os.path.join(HERE, "corpus", target)
    if os.path.isdir(d):
        for n in os.listdir(d):
            os.unlink(os.path.join(d, n))


# --- fs: fuzz_fs.c ------------------------------------------------------------
# FUSE opcodes (linux/fuse.h); the harness takes the op byte % 56 as the opcode.
FS_OPS = {"LOOKUP": 1, "FORGET": 2, "GETATTR": 3, "SETATTR": 4, "READLINK": 5, "SYMLINK": 6,
          "MKNOD": 8, "MKDIR": 9, "UNLINK": 10, "RMDIR": 11, "RENAME": 12, "LINK": 13,
          "OPEN": 14, "READ": 15, "WRITE": 16, "STATFS": 17, "RELEASE": 18, "FSYNC": 20,
          "SETXATTR": 21, "GETXATTR": 22, "LISTXATTR": 23, "REMOVEXATTR": 24, "FLUSH": 25,
          "INIT": 26, "OPENDIR": 27, "READDIR": 28, "RELEASEDIR": 29, "FSYNCDIR": 30,
          "GETLK": 31, "SETLK": 32, "ACCESS": 34, "CREATE": 35, "INTERRUPT": 36, "BMAP": 37,
          "DESTROY": 38, "IOCTL": 39, "POLL": 40, "BATCH_FORGET": 42, "FALLOCATE": 43,
          "READDIRPLUS": 44, "RENAME2": 45, "LSEEK": 46, "COPY_FILE_RANGE": 47,
          "SETUPMAPPING": 48, "REMOVEMAPPING": 49, "SYNCFS": 50, "TMPFILE": 51}


def req(op, args=b"", node=0, fh=None, who=0):
    """One request: node 0 = root, 1..8 = the ids replies gave, in order;
    fh = index of a handle replies gave, planted where the op keeps one."""
    ctl = node & 15
    extra = b""
    if fh is not None:
        ctl |= 0x10
        extra = u8(fh)
    return u8(0) + u8(FS_OPS[op]) + u8(ctl) + u8(who) + extra + block(args)


def host(what):
    return u8(0xFE) + u8(what)


def name(s):
    return s.encode() + b"\0"


O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND = 0, 1, 2, 0o100, 0o1000, 0o2000
S_IFREG, S_IFDIR, S_IFIFO, S_IFCHR, S_IFSOCK = 0o100000, 0o40000, 0o10000, 0o20000, 0o140000


def open_in(flags):
    return u32(flags) + u32(0)


def rw_in(off, size):
    return u64(0) + u64(off) + u32(size) + u32(0) + u64(0) + u32(0) + u32(0)


def release_in():
    return u64(0) + u32(0) + u32(0) + u64(0)


def setattr_in(valid, size=0, mode=0, uid=0, gid=0, t=0):
    return (u32(valid) + u32(0) + u64(0) + u64(size) + u64(0) + u64(t) + u64(t) + u64(t) +
            u32(0) + u32(0) + u32(0) + u32(mode) + u32(0) + u32(uid) + u32(gid) + u32(0))


def gen_fs():
    t = "fs"
    clear(t)
    # flags byte: bit0 read-only, bit1 passthrough, bit2 no INIT from the harness.
    s = {}
    s["read-file"] = (u8(0) + req("LOOKUP", name("file")) + req("GETATTR", u32(0) * 4, node=1) +
                      req("OPEN", open_in(O_RDONLY), node=1) +
                      req("READ", rw_in(0, 4096), node=1, fh=0) +
                      req("READ", rw_in(5, 3), node=1, fh=0) +
                      req("FLUSH", u64(0) + u32(0) + u32(0) + u64(0), node=1, fh=0) +
                      req("RELEASE", release_in(), node=1, fh=0) + req("FORGET", u64(1), node=1))
    create = u32(O_RDWR | O_CREAT) + u32(S_IFREG | 0o644) + u32(0o22) + u32(0)
    s["create-write"] = (u8(0) + req("CREATE", create + name("new")) +
                         req("WRITE", rw_in(0, 0) + b"hello, world\n", node=1, fh=0) +
                         req("WRITE", rw_in(100000, 0) + b"far", node=1, fh=0) +
                         req("READ", rw_in(0, 65536), node=1, fh=0) +
                         req("LSEEK", u64(0) + u64(0) + u32(3) + u32(0), node=1, fh=0) +
                         req("LSEEK", u64(0) + u64(20) + u32(4) + u32(0), node=1, fh=0) +
                         req("FALLOCATE", u64(0) + u64(0) + u64(8192) + u32(0) + u32(0),
                             node=1, fh=0) +
                         req("FALLOCATE", u64(0) + u64(4096) + u64(4096) + u32(3) + u32(0),
                             node=1, fh=0) +
                         req("FSYNC", u64(0) + u32(1) + u32(0), node=1, fh=0) +
                         req("SETATTR", setattr_in(8, size=5), node=1) +
                         req("RELEASE", release_in(), node=1, fh=0))
    copy = (u64(0) + u64(0) + u64(0) + u64(0) + u64(3) + u64(20) + u64(0))
    s["copy-range"] = (u8(0) + req("LOOKUP", name("file")) +
                       req("OPEN", open_in(O_RDONLY), node=1) +
                       req("CREATE", create + name("out")) +
                       req("COPY_FILE_RANGE", copy, node=1, fh=0x28))  # in: fh[0]; out: node[1], fh[1]
    s["tree-ops"] = (u8(0) + req("MKDIR", u32(0o755) + u32(0) + name("d")) +
                     req("MKNOD", u32(S_IFIFO | 0o644) + u32(0) + u32(0) + u32(0) + name("p")) +
                     req("MKNOD", u32(S_IFCHR | 0o600) + u32(0x103) + u32(0) + u32(0) +
                         name("null")) +
                     req("SYMLINK", name("s") + name("../file")) +
                     req("LOOKUP", name("file")) +
                     req("LINK", u64(0) + name("hard"), fh=0x40) +
                     req("RENAME", u64(1) + name("hard") + name("moved")) +
                     req("RENAME2", u64(1) + u32(2) + u32(0) + name("s") + name("p")) +
                     req("UNLINK", name("moved")) + req("UNLINK", name("null")) +
                     req("RMDIR", name("d")) + req("READLINK", b"", node=4))
    s["dirs"] = (u8(0) + req("OPENDIR", open_in(0)) + req("READDIR", rw_in(0, 4096), fh=0) +
                 req("READDIR", rw_in(3, 200), fh=0) +
                 req("READDIRPLUS", rw_in(0, 8192), fh=0) +
                 req("FSYNCDIR", u64(0) + u32(0) + u32(0), fh=0) +
                 req("RELEASEDIR", release_in(), fh=0) +
                 req("LOOKUP", name("dir")) + req("OPENDIR", open_in(0), node=2) +
                 req("READDIRPLUS", rw_in(0, 4096), node=2, fh=1) + req("STATFS"))
    s["xattr"] = (u8(0) + req("LOOKUP", name("file")) +
                  req("SETXATTR", u32(3) + u32(0) + name("user.a") + b"abc", node=1) +
                  req("SETXATTR", u32(2) + u32(0) + name("security.x") + b"xy", node=1) +
                  req("GETXATTR", u32(64) + u32(0) + name("user.a"), node=1) +
                  req("GETXATTR", u32(0) + u32(0) + name("user.fuzz"), node=1) +
                  req("LISTXATTR", u32(256) + u32(0), node=1) +
                  req("LISTXATTR", u32(0) + u32(0), node=1) +
                  req("REMOVEXATTR", name("user.a"), node=1) +
                  req("LOOKUP", name("mapped")) +
                  req("GETXATTR", u32(64) + u32(0) + name("user.containers.override_stat"),
                      node=2))
    specials = b"".join(req("LOOKUP", name(n)) for n in
                        ["fifo", "sock", "dev", "proc", "tmp", "up", "abs", "loop"])
    s["specials"] = (u8(0) + specials + req("OPEN", open_in(O_RDONLY), node=1) +
                     req("OPEN", open_in(O_RDWR), node=3) + req("GETATTR", b"\0" * 16, node=4) +
                     req("OPENDIR", open_in(0), node=4) + req("READLINK", b"", node=6) +
                     req("OPENDIR", open_in(0), node=5) +
                     req("READDIRPLUS", rw_in(0, 4096), node=5, fh=0) +
                     req("LOOKUP", name("fixed")) + req("OPENDIR", open_in(0), node=1))
    s["attrs"] = (u8(0) + req("LOOKUP", name("exec")) +
                  req("SETATTR", setattr_in(1, mode=0o104755), node=1) +
                  req("SETATTR", setattr_in(2 | 4, uid=1000, gid=1000), node=1) +
                  req("SETATTR", setattr_in(16 | 32, t=1000), node=1) +
                  req("ACCESS", u32(7) + u32(0), node=1, who=5) +
                  req("GETATTR", b"\0" * 16, node=1, who=5) +
                  req("OPEN", open_in(O_WRONLY | O_TRUNC), node=1) +
                  req("WRITE", rw_in(0, 0) + b"x", node=1, fh=0))
    s["session"] = (u8(4) + req("STATFS") +
                    req("INIT", u32(7) + u32(31) + u32(65536) + u32(0xFFFFFFFF)) +
                    req("LOOKUP", name("big")) + req("INTERRUPT", u64(5)) +
                    req("BATCH_FORGET", u32(1) + u32(0) + u64(2) + u64(1)) +
                    req("DESTROY") + req("LOOKUP", name("big")) +
                    req("INIT", u32(7) + u32(36) + u32(65536) + u32(0)) + req("GETLK") +
                    req("IOCTL") + req("TMPFILE", u32(O_RDWR) + u32(0o600) + u32(0) + u32(0)))
    s["host-changes"] = (u8(0) + req("LOOKUP", name("dir")) + req("LOOKUP", name("file")) +
                         req("OPENDIR", open_in(0), node=1) + host(1) + host(0) +
                         req("READDIRPLUS", rw_in(0, 4096), node=1, fh=0) +
                         req("LOOKUP", name("inner"), node=1) +
                         req("OPEN", open_in(O_RDONLY), node=2) + host(3) +
                         req("LOOKUP", name("sub"), node=1) + host(2) +
                         req("LOOKUP", name("inner"), node=1))
    s["read-only"] = (u8(1) + req("LOOKUP", name("file")) +
                      req("OPEN", open_in(O_RDWR), node=1) +
                      req("CREATE", create + name("no")) + req("UNLINK", name("file")))
    s["passthrough"] = (u8(2) + req("MKNOD", u32(S_IFCHR | 0o600) + u32(0x103) + u32(0) +
                                    u32(0) + name("null")) +
                        req("CREATE", create + name("own")) +
                        req("CREATE", create + name("theirs"), who=1) +
                        req("SETATTR", setattr_in(2, uid=0), node=2))
    # Enough inodes in one session to grow the inode hash table.
    s["many-inodes"] = u8(0) + b"".join(
        req("MKNOD", u32(S_IFREG | 0o600) + u32(0) + u32(0) + u32(0) + name("f%d" % i))
        for i in range(80)) + req("OPENDIR", open_in(0)) + req("READDIRPLUS", rw_in(0, 65536), fh=0)
    # As root: many/, 2100 entries, read whole with READDIRPLUS (offsets are
    # tmpfs's cookies, which count entries).
    s["big-dir"] = (u8(0) + req("LOOKUP", name("many")) + req("OPENDIR", open_in(0), node=1) +
                    b"".join(req("READDIRPLUS", rw_in(off, 65536), node=1, fh=0)
                             for off in range(0, 2400, 300)))
    for k, v in s.items():
        write(t, k, v)


# --- vsock / tsi: vsock_guest.h ---------------------------------------------
OP_REQUEST, OP_RESPONSE, OP_RST, OP_SHUTDOWN, OP_RW, OP_CREDIT_UPDATE, OP_CREDIT_REQUEST = \
    1, 2, 3, 4, 5, 6, 7


def fg_pkt(svc, gp, op, payload=b"", seq=False, flags=0, credit=b"\0", kib=0):
    """A structured guest packet (generic op 0): to service svc (0..2), from
    guest port index gp; kib > 0 repeats the payload up to that many KiB."""
    # The service is sel % 10; 0x80 asks for SEQPACKET, 0x40 a lying length,
    # 0x20 a repeated payload.
    sel = next(v for v in range(256) if v % 10 == svc and bool(v & 0x80) == seq and
               not v & 0x40 and bool(v & 0x20) == (kib > 0))
    fl = u8(0) + u8(flags) if flags < 4 else u8(1) + u32(flags)
    rep = u8(kib - 1) if kib else b""
    return u8(0) + u8(sel) + u8(gp) + u8(op) + credit + fl + block(payload) + rep + u8(0)


def fg_answer(hidx, gp, op, payload=b""):
    """A packet to the host port of the hidx'th REQUEST the host sent."""
    return (u8(0) + u8(3 | hidx << 4) + u8(gp) + u8(op) + u8(0) + u8(0) + u8(0) +
            block(payload) + u8(0))


def fg_rx(n=16, cap=0, nseg=1):
    return u8(3) + u8(n - 1) + u8(cap) + u8(nseg)


def fg_peer_write(peer, data):
    return u8(4) + u8(peer) + block(data) + u8(1)


def fg_peer_read(peer):
    return u8(5) + u8(peer)


def fg_peer_shut(peer, how):
    return u8(6) + u8(peer) + u8(how)


def gen_vsock():
    t = "vsock"
    clear(t)
    s = {}
    s["stream"] = (u8(0) + fg_rx() + fg_pkt(0, 0, OP_REQUEST) +
                   fg_pkt(0, 0, OP_RW, b"hello host\n") + fg_peer_write(0, b"hello guest") +
                   fg_peer_read(0) + fg_pkt(0, 0, OP_CREDIT_UPDATE) +
                   fg_pkt(0, 0, OP_CREDIT_REQUEST) + fg_pkt(0, 0, OP_SHUTDOWN, flags=2) +
                   fg_peer_shut(0, 1) + u8(7) + fg_pkt(0, 0, OP_RST))
    s["setup"] = (u8(0) + fg_rx(16) + fg_pkt(1, 1, OP_REQUEST) +
                  fg_pkt(1, 1, OP_RW, b"\0" * 16) + fg_pkt(1, 1, OP_RW, b"data") +
                  fg_peer_read(0) + fg_pkt(1, 2, OP_REQUEST) +
                  fg_pkt(1, 2, OP_RW, b"\1\0\1\0" + u32(1027) + u32(5) + u32(0)) +
                  u8(10) + u8(0) + u8(0) + fg_answer(0, 3, OP_RESPONSE) +
                  fg_peer_write(0x80, b"client"))
    s["seqpacket"] = (u8(0) + fg_rx(16, 7) + fg_pkt(2, 0, OP_REQUEST, seq=True) +
                      fg_pkt(2, 0, OP_RW, b"\0" * 8, seq=True, flags=1) +
                      fg_pkt(2, 0, OP_RW, b"part one ", seq=True) +
                      fg_pkt(2, 0, OP_RW, b"end", seq=True, flags=1) +
                      fg_peer_write(0, b"a message"))
    s["listener"] = (u8(1) + fg_rx(8) + u8(10) + u8(1) + fg_answer(0, 1, OP_RESPONSE) +
                     fg_peer_write(0, b"from a host client") +
                     fg_answer(0, 1, OP_RW, b"back") + fg_peer_read(0) +
                     fg_peer_shut(0, 2))
    s["hostile"] = (u8(0x80) + fg_rx(4, 1) + u8(2) + block(b"short") + u8(0) +
                    fg_pkt(0, 5, OP_RW, b"x" * 10) + fg_pkt(8, 1, OP_REQUEST) +
                    u8(11) + u8(1) + u8(0) + fg_pkt(0, 2, OP_REQUEST) +
                    u8(12) + u8(0) + u8(1) + u8(2) + u8(3) +
                    fg_pkt(0, 3, OP_REQUEST) + u8(8) + u8(0) + u8(8) + u8(1) + u8(13))
    s["credit"] = (u8(0) + fg_rx(2, 3) + fg_pkt(0, 0, OP_REQUEST, credit=u8(1) + u16(100) + u8(0)) +
                   u8(4) + u8(0) + block(b"") + u8(0) + fg_rx(16, 5, 3) +
                   fg_pkt(0, 0, OP_CREDIT_UPDATE) + u8(7) +
                   fg_pkt(0, 0, OP_RW, b"y" * 300, credit=u8(2) + u32(0) + u32(0xFFFFFF00)))
    # More than the host socket takes: the muxer buffers, then flushes as the
    # host end reads.
    s["bulk"] = (u8(0) + fg_rx(16) + fg_pkt(0, 0, OP_REQUEST) +
                 fg_pkt(0, 0, OP_RW, b"0123456789abcdef", kib=64) +
                 fg_pkt(0, 0, OP_RW, b"more", kib=32) + fg_peer_read(0) + u8(7) +
                 fg_pkt(0, 0, OP_RW, b"x", kib=64) + fg_pkt(0, 0, OP_SHUTDOWN, flags=3) +
                 u8(13))
    for k, v in s.items():
        write(t, k, v)


def tsi_addr(sel, raw=b""):
    return u8(sel) + raw


def gen_tsi():
    t = "tsi"
    clear(t)
    s = {}
    rx = fg_rx(64)
    # op 10 (TCP): gp, magic sel, op, addr sel, vsock port sel, backlog sel,
    # chunk, then the REQUEST's and each piece's credit byte.
    def tcp(gp, op, addr_sel, extra=b"", chunk=0, pieces=1, vport=0):
        # vsock port: fg_gports[vport] for a listener's clients; backlog 16
        return (u8(10) + u8(gp) + u8(0) + u8(op) + tsi_addr(addr_sel, extra) + u8(0) +
                u8(vport) + u8(0) + u8(chunk) + u8(0) + u8(0) * pieces)

    def udp(gp, addr_sel, extra=b""):
        return u8(11) + u8(gp) + u8(0) + tsi_addr(addr_sel, extra) + u8(0) + u8(0)

    def dgram(gp, addr_sel, payload, extra=b""):
        return (u8(12) + u8(gp) + u8(0) + tsi_addr(addr_sel, extra) + block(payload) + u8(0) +
                u8(0) + u8(0))

    s["connect4"] = (u8(0x40) + rx + tcp(0, 1, 0) + u8(7) + u8(14) + u8(0) + u8(7) +
                     fg_pkt(0, 0, OP_RW, b"GET / HTTP/1.0\r\n\r\n") +
                     fg_pkt(0, 0, OP_RW, b"upload ", kib=64) +
                     fg_peer_write(0, b"HTTP/1.0 200 OK\r\n") + fg_peer_shut(0, 1))
    s["connect6-split"] = (u8(0) + rx + tcp(1, 1, 1, chunk=5, pieces=7) + u8(14) + u8(0) +
                           fg_peer_write(0, b"hi"))
    s["listen"] = (u8(0x30) + rx + tcp(2, 2, (5 << 1) | (2 << 4), vport=3) + u8(15) + u8(1) +
                   fg_answer(0, 3, OP_RESPONSE) + fg_peer_write(0, b"client says hi") +
                   fg_answer(0, 3, OP_RW, b"guest answers"))
    s["udp"] = (u8(0x20) + rx + udp(0, 0) + dgram(0, 0, b"ping") + u8(14) + u8(0) +
                udp(1, (6 << 1)) + u8(16) + u8(0) + block(b"to the guest") +
                dgram(0, 1 << 4 | 3 << 1, b"raw port", u16(53)))
    s["unix"] = (u8(0) + rx + u8(13) + u8(0) + u8(0) + u8(0) + u8(0) + u8(0) + u8(0) +
                 u8(14) + u8(0) + fg_pkt(2, 0, OP_RW, b"over unix") +
                 u8(13) + u8(1) + u8(0) + u8(1) + u8(0) + u8(0) + u8(0))
    s["policy"] = (u8(0x0F) + rx + tcp(0, 1, 3 << 4, u8(1)) + tcp(1, 1, 0x60, bytes(16)) +
                   tcp(2, 3, 0) + dgram(3, 3 << 4, b"meta", u8(1)))
    s["caps"] = (u8(0x80) + rx + tcp(0, 1, 0) + tcp(1, 1, 0) + tcp(2, 1, 0) + udp(3, 0) +
                 udp(4, 0) + tcp(0, 2, (5 << 1) | (2 << 4)) + tcp(1, 2, (6 << 1)))
    for k, v in s.items():
        write(t, k, v)


# --- virtq / balloon_console: virtio_driver.h --------------------------------
def vd_bringup(feat, nq, size_log2):
    return u8(7) + u64(feat) + u8(nq) + u8(size_log2)


def vd_chain(q, segs, first_w, wlens=()):
    """segs: readable payloads; then len(wlens) writable segments of 256 << k."""
    nseg = len(segs) + len(wlens)
    out = u8(9) + u8(q) + u8(nseg - 1) + u8(first_w)
    for p in segs:
        out += block(p)
    for k in wlens:
        out += block(b"") + u8(k)
    return out


def gen_virtq():
    t = "virtq"
    clear(t)
    s = {}
    s["bringup-chain"] = (u8(0) + vd_bringup(0, 3, 3) +
                          vd_chain(0, [b"request header", b"data"], 2, [2]) +
                          vd_chain(1, [], 0, [4, 1]) + u8(10) + u8(0))
    s["registers"] = (u8(3) + b"".join(u8(1) + u16(0x8000 | r) + u8(2)
                                       for r in range(0, 0x100, 4)) +
                      u8(0) + u16(12) + u8(0) + u64(3) + u8(0) + u16(0x8000 | 0x70) + u8(0) +
                      u64(0x80))
    # An indirect table and a loop.
    ind = (u8(8) + u32(0x8000) + u8(3) + u32(0x9000) + u16(16) + u8(1) + u8(1) +
           u32(0x9100) + u16(16) + u8(3) + u8(2) + u32(0x9200) + u16(16) + u8(2) + u8(0))
    desc_ind = u8(3) + u8(0) + u16(0) + u32(0x8000) + u8(0) + u16(48) + u8(4) + u16(0)
    desc_loop = u8(3) + u8(0) + u16(1) + u32(0x9000) + u8(0) + u16(8) + u8(1) + u16(1)
    s["indirect-loop"] = (u8(0) + vd_bringup(0, 1, 2) + ind + desc_ind + u8(4) + u8(0) + u16(0) +
                          desc_loop + u8(4) + u8(0) + u16(1) + u8(6) + u8(0))
    s["hostile-ring"] = (u8(1) + vd_bringup(1 << 40, 4, 10) + u8(5) + u8(0) + u16(0x4000) + u8(1) +
                         u8(6) + u8(0) + u8(2) + u32(0xFFF0) + block(b"\xff" * 32) +
                         u8(11) + u8(12) + u8(0) + u16(0x8000 | 0x70) + u8(0) + u64(0))
    for k, v in s.items():
        write(t, k, v)


def ctrl(id_sel, ev_idx, val):
    return u8(10) + u8(id_sel) + u8(ev_idx) + u8(0) + u8(val)


def gen_balloon_console():
    t = "balloon_console"
    clear(t)
    s = {}
    s["balloon-report"] = (u8(0) + vd_bringup(1 << 5, 3, 5) +
                           u8(10) + u8(0) + u8(0) + block(b"") + u8(4) +
                           u8(10) + u8(3) + u8(0) + block(b"") + u8(4) + block(b"") + u8(2) +
                           block(b"") + u8(0) + block(b"") + u8(3) +
                           vd_chain(0, [u32(1) * 4], 1) + vd_chain(1, [], 0, [0]) +
                           u8(0) + u16(0x8000 | 0x104) + u8(0) + u64(7))
    # Console, MULTIPORT: DEVICE_READY, PORT_READY 0..2, PORT_OPEN, input, EOF.
    hand = (vd_bringup(3, 10, 4) + u8(12) + u8(7) + u8(0) + ctrl(0xFF, 0, 1) +
            ctrl(0, 1, 1) + ctrl(1, 1, 1) + ctrl(2, 1, 1) + ctrl(1, 2, 1) + ctrl(0, 2, 1))
    s["console-handshake"] = u8(1 | 16) + hand
    s["console-io"] = (u8(1 | 2 | 4 | 8 | 16) + hand + vd_chain(4, [], 0, [4]) +
                       u8(13) + block(b"stdin bytes\n") + u8(0) + u8(0) +
                       vd_chain(7, [b"to stdout\n"], 1) + vd_chain(1, [b"console\n"], 1) +
                       u8(14) + u8(12) + u8(3) + u8(1))
    s["console-hostile"] = (u8(1) + vd_bringup(3, 10, 4) + ctrl(0xFF, 0, 0) + ctrl(3, 1, 1) +
                            ctrl(3, 5, 1) + u8(12) + u8(2) + u8(3) + ctrl(0xFF, 0, 1) +
                            vd_chain(3, [b"\x01"], 1) + u8(0) + u16(0x8000 | 0x70) + u8(0) +
                            u64(0) + ctrl(0, 1, 1))
    s["console-no-multiport"] = (u8(1) + vd_bringup(1, 2, 3) + vd_chain(1, [b"hvc0\n"], 1) +
                                 vd_chain(0, [], 0, [1]))
    for k, v in s.items():
        write(t, k, v)


# --- oci / initramfs ------------------------------------------------------------
def gen_oci():
    t = "oci"
    clear(t)
    docs = {
        "runtime-spec": (1, b'{"ociVersion":"1.0.2","process":{"terminal":false,"user":{"uid":0,'
                            b'"gid":0},"args":["/bin/sh","-c","echo hi"],"env":["PATH=/bin",'
                            b'"HOME=/root","TERM=xterm"],"cwd":"/work"},"root":{"path":"rootfs"},'
                            b'"hostname":"ctr","hooks":{"prestart":[{"path":"/h","args":["x"],'
                            b'"env":["A=1"]}]}}'),
        "image-config": (2, b'{"architecture":"amd64","config":{"Env":["PATH=/usr/bin",'
                            b'"LANG=C"],"Entrypoint":["/entry"],"Cmd":["--flag","v"],'
                            b'"WorkingDir":"/srv"},"rootfs":{"type":"layers"}}'),
        "flat": (4, b'{"args":["/bin/true"],"env":["X=\\u00e9\\ud83d\\ude00","Y=a\\tb"],'
                    b'"cwd":"/"}'),
        "escapes": (0, b'["\\"\\\\\\/\\b\\f\\n\\r\\t","\\ud800","\\udc00x", -0.5e+10, 1E-2, '
                       b'true, false, null, {}, [], [[[]]], {"":""}]'),
        "wrong-types": (3, b'{"Cmd":"not an array","Env":[1,2],"WorkingDir":["x"],'
                           b'"args":[null]}'),
        "nul": (0, b'{"args":["a\\u0000b"]}'),
        "deep": (0, b"[" * 70 + b"]" * 70),
        "bad": (0, b'{"a":1,}'),
    }
    for k, (flags, d) in docs.items():
        write(t, k, u8(flags) + d)


def rec(key_idx, value):
    return u8(0) + u8(key_idx) + block(value)


def gen_initramfs():
    t = "initramfs"
    clear(t)
    # keys: exec arg env workdir rlimit hostname stdin stdout stderr root
    s = {}
    s["full-config"] = (rec(0, b"/bin/sh") + rec(1, b"-c") + rec(1, b"echo hi; exit 7") +
                        rec(2, b"PATH=/bin") + rec(2, b"TERM=xterm") + rec(3, b"/tmp") +
                        rec(4, b"7=1024:2048") + rec(5, b"vm") + rec(6, b"port") +
                        rec(7, b"console") + rec(8, b"port") + rec(9, b"virtiofs:root"))
    s["entries"] = (u8(1) + block(b"/etc/passwd") + u16(0o644) + u8(0) + block(b"root:x:0:0\n") +
                    u8(2) + block(b"/etc") + u16(0o755) + u8(0) +
                    u8(3) + block(b"dev/null") + u16(0o666) + u8(0) + u32(1) + u32(3) +
                    u8(1) + block(b"") + u16(0o644) + u8(0) + block(b"") +
                    u8(2) + block(b"x") + u16(0o1777) + u8(1) + rec(0, b"/init2"))
    s["raw-key"] = (u8(0) + u8(200) + block(b"futurekey") + block(b"value") + rec(0, b"/x") +
                    rec(0, b"/twice"))
    s["raw-config"] = u8(4) + b"exec\0/bin/sh\0arg\0a\0rlimit\0" + b"99=1:0\0root\0virtiofs:"
    s["virtiofs-only"] = rec(9, b"virtiofs:tag") + rec(2, b"A=b") + rec(1, b"ignored")
    for k, v in s.items():
        write(t, k, v)


def blk_seg(off, length, w):
    return u32(off) + u32(length) + u8(1 if w else 0)


def blk_hdr(typ, sector):
    return u32(typ) + u32(0) + struct.pack("<Q", sector)


def blk_req(sel, pokes, segs):
    out = u8(sel) + u8(len(pokes)) + u8(len(segs))
    for off, data in pokes:
        out += u16(off) + u16(len(data)) + data
    return out + b"".join(blk_seg(*s) for s in segs)


def gen_blk():
    clear("blk")
    hdr_only = [(0, 16, False), (8192, 1, True)]
    dwz = struct.pack("<QII", 8, 16, 0)
    seeds = {
        "read": blk_req(2, [(0, blk_hdr(0, 1))], [(0, 16, False), (4096, 1024, True),
                                                  (8192, 1, True)]),
        "write": blk_req(2, [(0, blk_hdr(1, 3)), (4096, b"\x5a" * 512)],
                         [(0, 16, False), (4096, 512, False), (8192, 1, True)]),
        "flush": blk_req(2, [(0, blk_hdr(4, 0))], hdr_only),
        "get-id": blk_req(0, [(0, blk_hdr(8, 0))], [(0, 16, False), (4096, 20, True),
                                                    (8192, 1, True)]),
        "discard": blk_req(2, [(0, blk_hdr(11, 0) + dwz)], [(0, 32, False), (8192, 1, True)]),
        "write-zeroes-ro": blk_req(1, [(0, blk_hdr(13, 0) + dwz)],
                                   [(0, 32, False), (8192, 1, True)]),
        "past-the-end": blk_req(2, [(0, blk_hdr(0, 127))], [(0, 16, False), (4096, 1024, True),
                                                            (8192, 1, True)]),
    }
    for k, v in seeds.items():
        write("blk", k, v)


# --- net: fuzz_net.c --------------------------------------------------------
def net_proxy(data):
    return u8(10) + block(data)


def net_rx(n, size_sel):
    return u8(11) + u8(n - 1) + u8(size_sel)


def net_tx(hdr, frame):
    return u8(12) + hdr + block(frame)


def gen_net():
    clear("net")
    up = vd_bringup((1 << 32) | (1 << 5) | (1 << 16), 2, 6)
    up_csum = vd_bringup((1 << 32) | (1 << 16) | (1 << 15) | (1 << 5) | 3, 2, 6)
    eth = bytes(range(60))
    hdr0 = bytes(12)
    partial = bytes([1, 0, 0, 0, 0, 0, 34, 0, 6, 0, 1, 0])
    framed = struct.pack(">I", 60) + eth
    # HOST_TSO4 (11), HOST_TSO6 (12), HOST_UFO (14) with CSUM: GSO super-frames.
    up_gso = vd_bringup((1 << 32) | (1 << 16) | (1 << 15) | (1 << 5) | 3
                        | (1 << 11) | (1 << 12) | (1 << 14), 2, 6)
    ether = bytes(12) + b"\x08\x00"
    tso4 = (ether + bytes([0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2])
            + bytes(4) + struct.pack(">I", 1000) + bytes(4) + bytes([0x50, 0x19]) + bytes(6)
            + bytes(range(250)) * 4)
    ufo = (ether + bytes([0x45, 0, 0, 0, 0, 2, 0, 0, 64, 17, 0, 0, 10, 0, 2, 15, 10, 0, 2, 2])
           + bytes(8) + bytes(range(200)) * 5)

    def gso(gso_type, hdr_len, gso_size, start, off):
        return struct.pack("<BBHHHHH", 1, gso_type, hdr_len, gso_size, start, off, 0)

    seeds = {
        "stream_both_ways": u8(0) + up + net_rx(4, 0) + net_proxy(framed * 3)
        + net_tx(hdr0, eth) + u8(13),
        "stream_lying_prefix": u8(0) + up + net_rx(2, 0)
        + net_proxy(struct.pack(">I", 70000) + b"x" * 100 + framed) + u8(13),
        "dgram_csum": u8(3) + up_csum + net_rx(3, 0) + net_proxy(eth)
        + net_tx(partial, eth) + net_tx(bytes([2, 1]) + bytes(10), eth) + u8(13),
        "small_buffers": u8(0) + up + net_rx(8, 4) + net_proxy(framed * 8) + u8(13),
        "stream_tso4_ufo": u8(6) + up_gso + net_tx(gso(1, 54, 300, 34, 16), tso4)
        + net_tx(gso(3, 34, 296, 34, 6), ufo) + net_tx(gso(4, 74, 200, 54, 16), tso4)
        + u8(13),
    }
    for k, v in seeds.items():
        write("net", k, v)


# --- ioapic: fuzz_ioapic.c --------------------------------------------------
def gen_ioapic():
    clear("ioapic")

    def w(off, v):  # a 32-bit write
        return u8(4 | 2) + u8(off) + u64(v)

    def r(off):
        return u8(2) + u8(off)

    def entry(pin, lo, hi):  # Linux's order: the high word, then the low one
        return (w(0, 0x11 + 2 * pin) + w(0x10, hi) + w(0, 0x10 + 2 * pin) + w(0x10, lo))

    seeds = {
        "linux_boot": u8(1) + w(0, 0) + r(0x10) + w(0, 1) + r(0x10)
        + entry(5, 0x21, 0) + entry(4, 0x22, 1 << 24) + entry(9, 0x31 | 1 << 8, 0)
        + entry(5, 0x21 | 1 << 16, 0),
        "nmi_extint_logical": u8(2) + entry(1, 0x400, 0) + entry(2, 0x700, 0)
        + entry(3, 0x41 | 1 << 11, 0x0F << 24) + entry(23, 0xFFFFFFFF, 0xFFFFFFFF),
    }
    for k, v in seeds.items():
        write("ioapic", k, v)


def main():
    gen_fs()
    gen_vsock()
    gen_tsi()
    gen_virtq()
    gen_balloon_console()
    gen_oci()
    gen_initramfs()
    gen_blk()
    gen_net()
    gen_ioapic()
    return 0


if __name__ == "__main__":
    sys.exit(main())
