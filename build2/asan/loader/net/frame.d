build2/asan/loader/net/frame.o: loader/net/frame.c loader/net/frame.h \
 loader/net/netpath.h loader/net/addr.h
loader/net/frame.h:
loader/net/netpath.h:
loader/net/addr.h:
