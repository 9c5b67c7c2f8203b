build2/obj/loader/engine/send.o: loader/engine/send.c loader/clock.h \
 loader/engine/engine.h loader/net/transport.h loader/net/addr.h \
 loader/engine/filesum.h common/blocksum.h loader/engine/filelist.h \
 common/log.h loader/engine/pacer.h common/ranges.h common/wire.h \
 common/blocksum.h common/p2pkp_shared.h loader/engine/reqs.h \
 common/wire.h
loader/clock.h:
loader/engine/engine.h:
loader/net/transport.h:
loader/net/addr.h:
loader/engine/filesum.h:
common/blocksum.h:
loader/engine/filelist.h:
common/log.h:
loader/engine/pacer.h:
common/ranges.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
loader/engine/reqs.h:
common/wire.h:
