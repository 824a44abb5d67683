// Fuzz target `pickle`: Pickle.parse on arbitrary bytes, then a full walk of the value and its
// description (the walk would not end on a cycle; the description is bounded).
import Inception

func walk(_ v: PickleValue, _ depth: Int, _ budget: inout Int) {
  precondition(depth <= Pickle.maxDepth + 1, "depth bound broken")
  guard budget > 0 else { return }
  budget -= 1
  switch v {
  case .tuple(let items): for i in items { walk(i, depth + 1, &budget) }
  case .list(let l): for i in l.items { walk(i, depth + 1, &budget) }
  case .dict(let d):
    for (k, x) in d.items {
      walk(k, depth + 1, &budget)
      walk(x, depth + 1, &budget)
    }
  case .object(let o):
    walk(o.callable, depth + 1, &budget)
    for a in o.arguments { walk(a, depth + 1, &budget) }
    if let s = o.state { walk(s, depth + 1, &budget) }
  case .persistentID(let x): walk(x, depth + 1, &budget)
  default: break
  }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  let bytes = Array(UnsafeBufferPointer(start: data, count: size))
  if let v = try? Pickle.parse(bytes, file: "fuzz.pkl") {
    precondition(v.description.count <= 400)
    var budget = 100_000
    walk(v, 1, &budget)
  }
  return 0
}
