/** Attributes and listeners of {@link h}: `on*` functions are listeners, the rest attributes. */
type Props = Record<string, string | number | boolean | undefined | ((event: Event) => void)>;
type Child = Node | string | number | undefined | false;

/**
 * Creates an element. Text always goes in as text nodes, never as HTML, so nothing a function
 * logs or returns can inject markup into the page.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (typeof value === 'function') {
      element.addEventListener(name.slice(2).toLowerCase(), value);
    } else if (value === true) {
      element.setAttribute(name, '');
    } else if (value !== undefined && value !== false) {
      element.setAttribute(name, String(value));
    }
  }
  for (const child of children.flat()) {
    if (child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replaces everything inside `parent`. */
export function fill(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren(
    ...children
      .flat()
      .filter((c): c is Node | string | number => c !== undefined && c !== false)
      .map((c) => (c instanceof Node ? c : String(c))),
  );
}

/** The element with this id; a missing one is a bug in the page, not a state to handle. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`no element #${id}`);
  return element as T;
}

/**
 * Keeps a table's rows in step with freshly built ones, matched by `data-key`: a row whose
 * markup is unchanged is left alone, a changed one takes the new attributes and cells, so rows
 * stay the same elements (and keep focus, selection and their listeners) across re-renders.
 */
export function syncRows(tbody: HTMLTableSectionElement, rows: HTMLTableRowElement[]): void {
  const existing = new Map<string, HTMLTableRowElement>();
  for (const row of tbody.rows) existing.set(row.dataset.key ?? '', row);
  const wanted: HTMLTableRowElement[] = [];
  for (const fresh of rows) {
    const key = fresh.dataset.key ?? '';
    const signature = fresh.outerHTML;
    const current = existing.get(key);
    existing.delete(key);
    if (current === undefined) {
      fresh.dataset.signature = signature;
      wanted.push(fresh);
      continue;
    }
    if (current.dataset.signature !== signature) {
      for (const name of current.getAttributeNames()) current.removeAttribute(name);
      for (const name of fresh.getAttributeNames()) {
        current.setAttribute(name, fresh.getAttribute(name) ?? '');
      }
      current.dataset.signature = signature;
      current.replaceChildren(...fresh.childNodes);
    }
    wanted.push(current);
  }
  for (const gone of existing.values()) gone.remove();
  // Appending an attached row moves it: within one task, so nothing sees it detached.
  wanted.forEach((row, i) => {
    if (tbody.rows[i] !== row) tbody.insertBefore(row, tbody.rows[i] ?? null);
  });
}
