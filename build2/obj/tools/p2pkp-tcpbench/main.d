build2/obj/tools/p2pkp-tcpbench/main.o: tools/p2pkp-tcpbench/main.c \
 common/log.h loader/net/netpath.h loader/net/addr.h common/options.h \
 loader/xdp/steer.h common/p2pkp_shared.h loader/xdp/xdp_prog.h
common/log.h:
loader/net/netpath.h:
loader/net/addr.h:
common/options.h:
loader/xdp/steer.h:
common/p2pkp_shared.h:
loader/xdp/xdp_prog.h:
