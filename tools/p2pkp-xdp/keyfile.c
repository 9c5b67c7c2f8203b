// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/* Pre-shared key files: see keyfile.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cli.h"
#include "keyfile.h"
#include "log.h"

#define HEX_LEN (2 * P2PKP_PSK_LEN)

static const char hexdigits[] = "0123456789abcdef";

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

int keyfile_generate(const char *path)
{
	__u8 psk[P2PKP_PSK_LEN];
	char text[HEX_LEN + 1];
	int fd, err, i;

	if (getrandom(psk, sizeof(psk), 0) != (ssize_t)sizeof(psk)) {
		err = -errno;
		pr_warn("keygen: no random bytes: %s\n", strerror(errno));
		return err;
	}
	for (i = 0; i < P2PKP_PSK_LEN; i++) {
		text[2 * i] = hexdigits[psk[i] >> 4];
		text[2 * i + 1] = hexdigits[psk[i] & 15];
	}
	text[HEX_LEN] = '\n';
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		err = -errno;
		pr_warn("keygen: %s: %s\n", path,
			errno == EEXIST ? "exists; not overwriting a key" : strerror(errno));
		goto out_clear;
	}
	/* 0600 whatever the umask: the key is a secret. */
	err = fchmod(fd, 0600) ? -errno : 0;
	if (!err)
		err = write_all(fd, text, sizeof(text));
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (err) {
		pr_warn("keygen: %s: %s\n", path, strerror(-err));
		unlink(path);
	}
out_clear:
	OPENSSL_cleanse(psk, sizeof(psk));
	OPENSSL_cleanse(text, sizeof(text));
	return err;
}

static int hexval(char c)
{
	const char *p = c ? strchr(hexdigits, c | 0x20) : NULL;

	return p ? (int)(p - hexdigits) : -1;
}

static int parse_key(const char *text, size_t len, __u8 psk[P2PKP_PSK_LEN])
{
	int i, hi, lo;

	if (len == HEX_LEN + 1 && text[HEX_LEN] == '\n')
		len--;
	if (len != HEX_LEN)
		return -EINVAL;
	for (i = 0; i < P2PKP_PSK_LEN; i++) {
		hi = hexval(text[2 * i]);
		lo = hexval(text[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		psk[i] = (__u8)(hi << 4 | lo);
	}
	return 0;
}

int keyfile_load(const char *path, __u8 psk[P2PKP_PSK_LEN])
{
	char text[HEX_LEN + 2];
	struct stat st;
	ssize_t n;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		pr_warn("key file %s: %s\n", path, strerror(errno));
		return err;
	}
	err = -EINVAL;
	if (fstat(fd, &st)) {
		err = -errno;
		pr_warn("key file %s: %s\n", path, strerror(errno));
	} else if (!S_ISREG(st.st_mode)) {
		pr_warn("key file %s: not a regular file\n", path);
	} else if (st.st_mode & 077) {
		pr_warn("key file %s: others may read it (mode %04o); run chmod 600 %s\n", path,
			(unsigned int)(st.st_mode & 07777), path);
	} else {
		n = read(fd, text, sizeof(text));
		if (n < 0)
			pr_warn("key file %s: %s\n", path, strerror(errno));
		else if (parse_key(text, (size_t)n, psk))
			pr_warn("key file %s: not a key (64 hex digits, as keygen writes)\n", path);
		else
			err = 0;
	}
	OPENSSL_cleanse(text, sizeof(text));
	close(fd);
	return err;
}

int keyfile_options(const char *who, const char *file, bool encrypt, const char *risk,
		    __u8 psk[P2PKP_PSK_LEN], const __u8 **out)
{
	*out = NULL;
	if (!file) {
		if (encrypt) {
			pr_warn("%s: --encrypt needs --key-file\n", who);
			return EXIT_USAGE;
		}
		pr_warn("%s: no --key-file: %s\n", who, risk);
		return 0;
	}
	if (keyfile_load(file, psk))
		return 1;
	*out = psk;
	return 0;
}
