build2/asan/loader/net/transport.o: loader/net/transport.c common/log.h \
 loader/net/netpath.h loader/net/addr.h loader/net/transport_priv.h \
 common/p2pkp_shared.h loader/net/transport.h
common/log.h:
loader/net/netpath.h:
loader/net/addr.h:
loader/net/transport_priv.h:
common/p2pkp_shared.h:
loader/net/transport.h:
