/*
 * nonet.c - keeps libgit2's network layers from starting up: the system's
 * CA bundle is not parsed, and libssh2 (with the OpenSSL it brings) is not
 * initialized.
 *
 * Why: chainlog never opens a network connection (a home's history is
 * local; auditors fetch it with stock git, and the engine registers
 * streams that refuse every connection: store.c, store_setup), yet
 * Debian's libgit2 readies both of its transports inside
 * git_libgit2_init(), in every process that opens a history:
 *
 *  - its TLS stream (mbed TLS) loads every certificate of the system
 *    bundle (/etc/ssl/certs, about 140 of them) so that a later HTTPS
 *    fetch could verify its server: 4-10 ms, a third of a CLI transition;
 *    the rest of its set-up (cipher suites, an entropy pool seeded by
 *    timing loops, a random generator) is another ~0.3 ms;
 *  - its SSH transport calls libssh2_init(), which initializes OpenSSL's
 *    libcrypto: error strings loaded into hash tables and freed again at
 *    exit, some 0.8 ms of a process that does nothing else with them.
 *
 * How, in the executable linked to the shared libgit2: each definition
 * takes the place of the library's for the whole process.  The dynamic
 * linker looks a symbol up in the executable before the libraries, and
 * the linker exports it from the executable because a library we link
 * (libgit2) refers to it.  Both report success and do nothing, so
 * libgit2's start-up goes on as before:
 *
 *  - with an empty list of trusted certificates: a TLS connection made
 *    anyway would trust no server and fail its verification;
 *  - with libssh2 never initialized: libssh2_exit() at shutdown sees it
 *    was not and does nothing; an SSH session attempted anyway would fail
 *    to set up its crypto.
 *
 * How, in the executable linked to libgit2's static archive (meson's
 * static_deps): there is no dynamic linker to bind the calls, so the
 * linker is told (--wrap) to send libgit2's references to the __wrap_
 * names below, and the libraries' own definitions stay unused.  There
 * the whole of libgit2's mbed TLS set-up is left out, which is safe
 * because no TLS stream of libgit2's is ever made: the streams the engine
 * registers are looked up first and refuse (an HTTPS fetch fails with
 * "chainlog makes no network connections" before any socket is opened).
 *
 * All fail closed.  With a libgit2 built on OpenSSL, without TLS or
 * without SSH, nothing calls them and they change nothing.  Only the
 * chainlog executable has them: the tests, which link the engine library
 * alone, run with libgit2 as shipped.  tests/e2e/core.sh checks, for
 * either kind of executable, that libgit2's calls reach these and that a
 * transition still commits.
 */

#ifdef CHAINLOG_NONET_WRAP

int __wrap_git_mbedtls_stream_global_init(void);
int __wrap_libssh2_init(int flags);

int __wrap_git_mbedtls_stream_global_init(void)
{
	return 0;
}

int __wrap_libssh2_init(int flags)
{
	(void)flags;
	return 0;
}

#else

struct mbedtls_x509_crt;

int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path);
int libssh2_init(int flags);

int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}

int libssh2_init(int flags)
{
	(void)flags;
	return 0;
}

#endif
