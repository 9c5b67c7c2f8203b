build2/obj/loader/engine/filesum.o: loader/engine/filesum.c \
 loader/engine/filesum.h common/blocksum.h common/wire.h \
 common/blocksum.h common/p2pkp_shared.h
loader/engine/filesum.h:
common/blocksum.h:
common/wire.h:
common/blocksum.h:
common/p2pkp_shared.h:
