import CCrypto
import Foundation

/// SHA-1 digests through OpenSSL's libcrypto (`EVP_sha1`). Used for the weights check,
/// content-keyed caches and the stable training split; not for security.
public struct SHA1Hasher {
  private var context: OpaquePointer?

  public init() {
    context = EVP_MD_CTX_new()
    if let context { EVP_DigestInit_ex(context, EVP_sha1(), nil) }
  }

  /// Adds bytes to the digest.
  public mutating func update(_ bytes: UnsafeRawBufferPointer) {
    guard let context, let base = bytes.baseAddress, bytes.count > 0 else { return }
    EVP_DigestUpdate(context, base, bytes.count)
  }

  public mutating func update(_ data: Data) { data.withUnsafeBytes { update($0) } }
  public mutating func update(_ string: String) { update(Data(string.utf8)) }

  /// The 20-byte digest; the hasher cannot be used afterwards.
  public mutating func finalize() -> [UInt8] {
    var out = [UInt8](repeating: 0, count: 20)
    var length: UInt32 = 0
    if let context {
      out.withUnsafeMutableBufferPointer {
        _ = EVP_DigestFinal_ex(context, $0.baseAddress, &length)
      }
      EVP_MD_CTX_free(context)
      self.context = nil
    }
    return out
  }
}

public enum SHA1 {
  /// Lower-case hex SHA-1 of `data`.
  public static func hex(_ data: Data) -> String {
    var h = SHA1Hasher()
    h.update(data)
    return hexString(h.finalize())
  }

  public static func hex(_ string: String) -> String { hex(Data(string.utf8)) }

  /// Lower-case hex SHA-1 of a file's content, read in 1 MiB pieces (the file is never held whole).
  /// Regular files only (``Syscalls/openRegularFile(_:)``): a named pipe or a device is refused
  /// unread, never waited on.
  public static func hex(fileAt path: String) throws -> String {
    let handle = FileHandle(
      fileDescriptor: try Syscalls.openRegularFile(path), closeOnDealloc: true)
    defer { try? handle.close() }
    var h = SHA1Hasher()
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { h.update(chunk) }
    return hexString(h.finalize())
  }

  public static func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out = [UInt8]()
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
      out.append(digits[Int(b >> 4)])
      out.append(digits[Int(b & 15)])
    }
    return String(decoding: out, as: UTF8.self)
  }
}
