;; A module whose code changes its table (table.set, table.grow): the AOT
;; step must not mark its tables fixed, and a reset must copy them back.
(module
  (type $t0 (func (result i32)))
  (table $tab 2 8 funcref)
  (elem (i32.const 0) $one $two)
  (func $one (result i32) i32.const 1)
  (func $two (result i32) i32.const 2)
  (func (export "call") (param i32) (result i32) local.get 0 call_indirect (type $t0))
  ;; slot i now runs $two
  (func (export "set") (param i32) local.get 0 ref.func $two table.set $tab)
  (func (export "grow") (result i32) ref.func $one i32.const 1 table.grow $tab)
  (func (export "size") (result i32) table.size $tab)
  (memory (export "memory") 1 1)
)
