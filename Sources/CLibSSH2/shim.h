#ifndef JOBFLEET_CLIBSSH2_SHIM_H
#define JOBFLEET_CLIBSSH2_SHIM_H
#include <openssl/crypto.h>
#include <libssh2.h>
#include <libssh2_sftp.h>
#endif
