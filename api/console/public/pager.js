// Keyset pages ({ data, next }) walked forwards and back: the cursors of the pages seen so far.
import { h } from './dom.js';

export class Pager {
  constructor(onChange) {
    this.cursors = [undefined];
    this.next = null;
    this.onChange = onChange;
  }

  /** The cursor of the page on screen. */
  get cursor() {
    return this.cursors.at(-1);
  }

  get page() {
    return this.cursors.length;
  }

  /** Back to the first page (a new search or filter). */
  reset() {
    this.cursors = [undefined];
    this.next = null;
  }

  /** The controls: "Page n", Previous, Next; nothing when everything fits on one page. */
  controls() {
    if (this.page === 1 && !this.next) return null;
    return h(
      'div',
      { class: 'pager' },
      h(
        'button',
        {
          type: 'button',
          disabled: this.page === 1,
          onclick: () => {
            this.cursors.pop();
            this.onChange();
          },
        },
        '← Previous',
      ),
      h('span', { class: 'muted' }, `Page ${this.page}`),
      h(
        'button',
        {
          type: 'button',
          disabled: !this.next,
          onclick: () => {
            this.cursors.push(this.next);
            this.onChange();
          },
        },
        'Next →',
      ),
    );
  }
}

/** Calls `fn` once typing has paused for `ms`. */
export function debounce(fn, ms = 300) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
