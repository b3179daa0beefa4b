// Accounts: find them by email, role or state; disable or enable them, change their role
// (GET /admin/users, PATCH /admin/users/{id}). The API's refusals (an admin cannot disable or
// demote themselves) are shown as it words them.
import { get, patch } from './api.js';
import { card, fill, h, pill, table, when } from './dom.js';
import { debounce, Pager } from './pager.js';

const ROLES = ['user', 'partner', 'admin'];

export async function usersPage(view, { flash }) {
  const list = h('div');
  const filters = { email: '', role: '', disabled: '' };
  const pager = new Pager(() => load());

  async function change(user, body, done) {
    try {
      const updated = await patch(`/admin/users/${user.id}`, body);
      flash(`${updated.email}: ${done}.`, 'ok');
    } catch (err) {
      flash(err.message);
    }
    await load();
  }

  function row(user) {
    const { disabled } = user;
    const role = h(
      'select',
      {
        'aria-label': `Role of ${user.email}`,
        onchange: (e) => change(user, { role: e.target.value }, `role is now ${e.target.value}`),
      },
      ROLES.map((r) => h('option', { value: r, selected: r === user.role }, r)),
    );
    const toggle = h(
      'button',
      {
        type: 'button',
        class: disabled ? 'button' : 'button danger',
        onclick: () => change(user, { disabled: !disabled }, disabled ? 'enabled' : 'disabled'),
      },
      disabled ? 'Enable' : 'Disable',
    );
    return [
      h('div', {}, h('div', {}, user.name), h('div', { class: 'muted small' }, user.email)),
      role,
      disabled ? pill('disabled') : pill('active'),
      when(user.createdAt),
      toggle,
    ];
  }

  async function load() {
    const page = await get('/admin/users', {
      email: filters.email,
      role: filters.role,
      disabled: filters.disabled,
      limit: 25,
      cursor: pager.cursor,
    });
    pager.next = page.next;
    fill(
      list,
      table(['User', 'Role', 'State', 'Joined', ''], page.data.map(row), 'No user matches.'),
      pager.controls(),
    );
  }

  const refilter = () => {
    pager.reset();
    load().catch((err) => flash(err.message));
  };
  const search = h('input', {
    type: 'search',
    placeholder: 'Search by email',
    'aria-label': 'Search users by email',
    oninput: debounce((e) => {
      filters.email = e.target.value.trim();
      refilter();
    }),
  });
  const role = h(
    'select',
    {
      'aria-label': 'Role',
      onchange: (e) => {
        filters.role = e.target.value;
        refilter();
      },
    },
    h('option', { value: '' }, 'Every role'),
    ROLES.map((r) => h('option', { value: r }, r)),
  );
  const state = h(
    'select',
    {
      'aria-label': 'State',
      onchange: (e) => {
        filters.disabled = e.target.value;
        refilter();
      },
    },
    h('option', { value: '' }, 'Active and disabled'),
    h('option', { value: 'false' }, 'Active'),
    h('option', { value: 'true' }, 'Disabled'),
  );

  fill(view, h('h1', {}, 'Users'), card(null, h('div', { class: 'card-tools' }, search, role, state), list));
  await load();
  // Not polled: a list being edited should not move under the pointer.
  return {};
}
