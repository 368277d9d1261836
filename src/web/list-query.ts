import { z } from 'zod';
import { ValidationError } from './errors.ts';
import { errorView } from './forms.ts';

/** The longest search term a list takes (the API's `q` refuses longer ones with the same limit). */
export const searchMaxLength = 200;
const searchTooLong = `Search term must be ${searchMaxLength} characters or fewer`;

/** The highest page number a list reads: past it the offset would only make the database skip more rows. */
const maxPage = 100_000;

/**
 * A list's page number: digits, capped at `maxPage` (a page past the end is sent to the last one by the route,
 * see `paginationView`); anything else ("2.5", "1e9", "-1", "0") is the first page.
 */
export const listPageNumber = z.unknown().optional().transform((raw) => {
  if (typeof raw !== 'string' || !/^[0-9]{1,1000}$/.test(raw)) return 1;
  return raw.length > 6 ? maxPage : Math.min(Math.max(Number(raw), 1), maxPage);
});

/**
 * The query string of a long list page: search, page and sort, parsed leniently (a bad value falls back to
 * the default rather than failing, as a hand-edited URL should). Filters are added per list with `.extend()`.
 * A search term that is too long is kept, for `checkSearch` to tell the user rather than drop it unseen.
 */
export function listQuery<const S extends readonly [string, ...string[]]>(sortKeys: S, defaultSort: S[number]) {
  return z.object({
    q: z.string().trim().optional().catch(undefined),
    page: listPageNumber,
    sort: z.enum(sortKeys).catch(defaultSort).default(defaultSort),
    order: z.enum(['asc', 'desc']).catch('asc').default('asc'),
  });
}

/**
 * A list page's search term, checked: one longer than `searchMaxLength` is not searched for. `filters` is the query
 * to list and link with (without such a term: the list shows unsearched, its other filters kept); the error summary
 * and the search box's message say why, and the box keeps what was typed (from the query itself).
 */
export function checkSearch<T extends { q?: string }>(query: T) {
  if (!query.q || query.q.length <= searchMaxLength) return { filters: query, status: 200 as const, ...errorView({}) };
  return { filters: { ...query, q: undefined }, status: 400 as const, ...errorView({ q: searchTooLong }) };
}

/** A download's query: a search term that is too long is refused (400) rather than ignored. */
export function exportQuery<T extends { q?: string }>(query: T): T {
  if (query.q && query.q.length > searchMaxLength) throw new ValidationError({ q: searchTooLong }, 400);
  return query;
}

/**
 * The GOV.UK pagination component's options for a list, keeping the other query parameters. A page number past
 * the last page gives `lastPageHref`, for the route to redirect to rather than show an empty page.
 */
export function paginationView(basePath: string, query: Record<string, unknown>, page: number, pageSize: number, total: number) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const href = (p: number) => {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '' && k !== 'page') params.set(k, String(v));
    if (p > 1) params.set('page', String(p));
    const qs = params.toString();
    return qs ? `${basePath}?${qs}` : basePath;
  };
  const items: ({ number: number; href: string; current: boolean } | { ellipsis: true })[] = [];
  for (let p = 1; p <= pages; p++) {
    if (p === 1 || p === pages || Math.abs(p - page) <= 1) items.push({ number: p, href: href(p), current: p === page });
    else if (!('ellipsis' in (items[items.length - 1] ?? {}))) items.push({ ellipsis: true });
  }
  return {
    pages,
    lastPageHref: page > pages ? href(pages) : null,
    from: total === 0 ? 0 : (page - 1) * pageSize + 1,
    to: Math.min(total, page * pageSize),
    total,
    options: pages > 1 ? { previous: page > 1 ? { href: href(page - 1) } : undefined, next: page < pages ? { href: href(page + 1) } : undefined, items } : null,
    /** The same list's URL with another sort, for sortable table headers. */
    sortHref: (key: string, currentSort: string, currentOrder: string) => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '' && k !== 'page' && k !== 'sort' && k !== 'order') params.set(k, String(v));
      params.set('sort', key);
      params.set('order', key === currentSort && currentOrder === 'asc' ? 'desc' : 'asc');
      return `${basePath}?${params}`;
    },
    /** The same list's filters as a query string, for export links. */
    queryString: () => {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '' && k !== 'page') params.set(k, String(v));
      const qs = params.toString();
      return qs ? `?${qs}` : '';
    },
  };
}

/**
 * A filter select's items with the current value selected (no value: the first, "Any …", choice). Each item is built
 * field by field: `{ ...item, selected }` costs microseconds an object in V8, and a council filter has 300 of them.
 */
export function selectItems(items: readonly { value: string; text: string }[], current: string | number | undefined) {
  const chosen = current === undefined ? '' : String(current);
  return items.map((i) => ({ value: i.value, text: i.text, selected: i.value === chosen }));
}
