build2/tests/asan/test_options: tests/unit/test_options.c common/log.h \
 common/options.h
common/log.h:
common/options.h:
