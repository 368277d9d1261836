import { z } from 'zod';
import { pageNumber } from './numbers.ts';

/**
 * The query string of a long list page: search, page and sort, parsed leniently (a bad value falls back to
 * the default rather than failing, as a hand-edited URL should). Filters are added per list with `.extend()`.
 */
export function listQuery<const S extends readonly [string, ...string[]]>(sortKeys: S, defaultSort: S[number]) {
  return z.object({
    q: z.string().trim().max(200).optional().catch(undefined),
    page: pageNumber,
    sort: z.enum(sortKeys).catch(defaultSort).default(defaultSort),
    order: z.enum(['asc', 'desc']).catch('asc').default('asc'),
  });
}

/** The GOV.UK pagination component's options for a list, keeping the other query parameters. */
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
