// OpenSSL's libcrypto, for SHA-1 only (weights check, content keys, stable split hash).
#include <openssl/evp.h>
