build2/asan/loader/net/netpath.o: loader/net/netpath.c common/log.h \
 loader/net/netpath.h loader/net/addr.h
common/log.h:
loader/net/netpath.h:
loader/net/addr.h:
