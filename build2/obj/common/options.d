build2/obj/common/options.o: common/options.c common/log.h \
 common/options.h
common/log.h:
common/options.h:
