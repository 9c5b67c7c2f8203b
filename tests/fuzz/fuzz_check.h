/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/* What every fuzzer checks with: a broken promise aborts, and libFuzzer keeps the input. */
#ifndef P2PKP_FUZZ_CHECK_H
#define P2PKP_FUZZ_CHECK_H

#include <stdlib.h>

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond))                                                                       \
			abort();                                                                   \
	} while (0)

#endif /* P2PKP_FUZZ_CHECK_H */
