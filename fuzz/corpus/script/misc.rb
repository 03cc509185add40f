class Foo < Struct; def initialize(*a, **kw, &b) = super; end
x = [1, 2.5, 3r, 2i, :sym, "s#{1 + 2}", %w[a b], /re/, 1..2, nil, true] rescue nil
case x when Array then x.map { _1 } else begin; raise "no"; ensure; end end
def m(a, b = 1, *c, d:, e: 2, **f) = yield(a) while false
h = { a: 1, "b" => 2, **{} }; a, (b, *c), d = 1, [2, 3], 4
