// The params of a route, worked out from its path at compile time: app.get('/users/:id', (req) =>
// req.params.id) has `id: string`, and `req.params.idd` does not compile. A path that is not a
// literal (a string variable) gives Record<string, string>.

/** `{ id: string }` for ':id', `{ '*': string }` for '*', nothing for an exact segment. */
type SegmentParam<S extends string> = S extends `:${infer Name}` ? { [K in Name]: string } : S extends '*' ? { '*': string } : {};

type Segments<P extends string> = P extends `${infer Head}/${infer Rest}` ? SegmentParam<Head> & Segments<Rest> : SegmentParam<P>;

type Flatten<T> = { [K in keyof T]: T[K] };

/** The params object of a route path. */
export type ParamsOf<P extends string> = string extends P ? Record<string, string> : Flatten<Segments<P>>;
