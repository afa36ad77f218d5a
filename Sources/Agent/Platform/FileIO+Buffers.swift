#if canImport(Glibc)
import Glibc
#endif

extension FileIO {
    /// Writes all of `buffer` to `fd`.
    static func writeAll(_ fd: Int32, _ buffer: UnsafeRawBufferPointer, path: String? = nil) throws {
        var offset = 0
        while offset < buffer.count {
            let written = retryingOnEINTR { write(fd, buffer.baseAddress! + offset, buffer.count - offset) }
            if written < 0 { throw PosixError("write", path: path) }
            offset += written
        }
    }

    /// Reads exactly `count` bytes at `offset`; false on an error or an early end.
    static func preadFully(_ fd: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int, offset: Int) -> Bool {
        var done = 0
        while done < count {
            let got = retryingOnEINTR { pread(fd, buffer + done, count - done, off_t(offset + done)) }
            if got <= 0 { return false }
            done += got
        }
        return true
    }

    /// True when the file has no byte at `offset`.
    static func isAtEnd(_ fd: Int32, offset: Int) -> Bool {
        var info = stat()
        return fstat(fd, &info) == 0 && Int(info.st_size) == offset
    }
}
