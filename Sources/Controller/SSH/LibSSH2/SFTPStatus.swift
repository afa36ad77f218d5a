import CLibSSH2

/// Names for SFTP status codes, for messages an operator can act on.
enum SFTPStatus {
    static func describe(_ code: UInt) -> String {
        switch code {
        case UInt(LIBSSH2_FX_NO_SUCH_FILE), UInt(LIBSSH2_FX_NO_SUCH_PATH): return "no such file or directory"
        case UInt(LIBSSH2_FX_PERMISSION_DENIED): return "permission denied"
        case UInt(LIBSSH2_FX_FILE_ALREADY_EXISTS): return "file already exists"
        case UInt(LIBSSH2_FX_NO_SPACE_ON_FILESYSTEM): return "no space left on the file system"
        case UInt(LIBSSH2_FX_QUOTA_EXCEEDED): return "disk quota exceeded"
        case UInt(LIBSSH2_FX_WRITE_PROTECT): return "file system is read-only"
        case UInt(LIBSSH2_FX_NOT_A_DIRECTORY): return "a path component is not a directory"
        case UInt(LIBSSH2_FX_OP_UNSUPPORTED): return "operation not supported by the host's SFTP server"
        case UInt(LIBSSH2_FX_FAILURE): return "the host's SFTP server reported a failure"
        default: return "SFTP status \(code)"
        }
    }

    /// True when `code` means the path does not exist.
    static func isMissing(_ code: UInt) -> Bool {
        code == UInt(LIBSSH2_FX_NO_SUCH_FILE) || code == UInt(LIBSSH2_FX_NO_SUCH_PATH)
    }
}
