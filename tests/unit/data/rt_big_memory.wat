;; Asks for 64 MiB of memory at start.
(module
  (memory (export "memory") 1024)
  (func (export "_start")))
