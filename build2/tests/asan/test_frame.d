build2/tests/asan/test_frame: tests/unit/test_frame.c loader/net/frame.h \
 loader/net/netpath.h loader/net/addr.h
loader/net/frame.h:
loader/net/netpath.h:
loader/net/addr.h:
