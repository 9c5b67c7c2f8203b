build2/asan/loader/net/xsk_transport.o: loader/net/xsk_transport.c \
 loader/clock.h loader/net/frame.h loader/net/netpath.h loader/net/addr.h \
 common/log.h loader/xdp/steer.h common/p2pkp_shared.h \
 loader/xdp/xdp_prog.h common/options.h loader/net/transport_priv.h \
 loader/net/transport.h
loader/clock.h:
loader/net/frame.h:
loader/net/netpath.h:
loader/net/addr.h:
common/log.h:
loader/xdp/steer.h:
common/p2pkp_shared.h:
loader/xdp/xdp_prog.h:
common/options.h:
loader/net/transport_priv.h:
loader/net/transport.h:
