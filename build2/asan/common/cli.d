build2/asan/common/cli.o: common/cli.c common/cli.h common/options.h \
 common/log.h
common/cli.h:
common/options.h:
common/log.h:
