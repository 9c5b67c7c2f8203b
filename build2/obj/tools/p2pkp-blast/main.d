build2/obj/tools/p2pkp-blast/main.o: tools/p2pkp-blast/main.c \
 common/cli.h common/options.h common/log.h loader/net/netpath.h \
 loader/net/addr.h common/options.h common/p2pkp_shared.h \
 loader/xdp/steer.h loader/xdp/xdp_prog.h loader/net/transport.h
common/cli.h:
common/options.h:
common/log.h:
loader/net/netpath.h:
loader/net/addr.h:
common/options.h:
common/p2pkp_shared.h:
loader/xdp/steer.h:
loader/xdp/xdp_prog.h:
loader/net/transport.h:
