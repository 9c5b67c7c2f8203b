build2/tests/test_transport_sock: tests/unit/test_transport_sock.c \
 common/p2pkp_shared.h loader/net/transport.h loader/net/addr.h
common/p2pkp_shared.h:
loader/net/transport.h:
loader/net/addr.h:
