build2/tests/test_netpath: tests/unit/test_netpath.c loader/net/netpath.h \
 loader/net/addr.h
loader/net/netpath.h:
loader/net/addr.h:
