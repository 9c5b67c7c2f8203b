build2/obj/loader/engine/recv.o: loader/engine/recv.c loader/clock.h \
 loader/engine/engine.h loader/net/transport.h loader/net/addr.h \
 loader/store/filestore.h common/blocksum.h common/ranges.h common/wire.h \
 common/blocksum.h common/p2pkp_shared.h common/log.h common/wire.h
loader/clock.h:
loader/engine/engine.h:
loader/net/transport.h:
loader/net/addr.h:
loader/store/filestore.h:
common/blocksum.h:
common/ranges.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
common/log.h:
common/wire.h:
