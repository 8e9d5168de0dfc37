/*
 * notls.c - keeps libgit2 from parsing the system's CA bundle at start-up.
 *
 * Why: Debian's libgit2 is built with mbedTLS, and git_libgit2_init()
 * loads every certificate of the system bundle (/etc/ssl/certs, about 140
 * of them) so that a later HTTPS fetch could verify its server.  That
 * costs 8-10 ms in every process that opens a history: a third of a CLI
 * transition, and as much as the durable commit itself.  chainlog never
 * opens a network connection (a home's history is local; auditors fetch
 * it with stock git), so the bundle is never used.
 *
 * How: this definition takes the place of mbedTLS's for the whole process.
 * The dynamic linker looks a symbol up in the executable before the
 * libraries, and the linker exports it from the executable because a
 * library we link (libgit2) refers to it.  It loads nothing and reports
 * success, so libgit2's start-up goes on as before with an empty list of
 * trusted certificates.  A TLS connection made anyway would trust no
 * server and fail its verification: the safe way to fail.  With a libgit2
 * built on OpenSSL, or without TLS, nothing calls it and it changes
 * nothing.  Only the chainlog executable has it: the tests, which link the
 * engine library alone, run with libgit2 as shipped.
 */

struct mbedtls_x509_crt;

int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path);

int mbedtls_x509_crt_parse_file(struct mbedtls_x509_crt *chain, const char *path)
{
	(void)chain;
	(void)path;
	return 0;
}
