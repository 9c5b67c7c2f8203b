build2/obj/loader/net/sock_transport.o: loader/net/sock_transport.c \
 common/log.h loader/net/transport_priv.h common/p2pkp_shared.h \
 loader/net/transport.h loader/net/addr.h
common/log.h:
loader/net/transport_priv.h:
common/p2pkp_shared.h:
loader/net/transport.h:
loader/net/addr.h:
