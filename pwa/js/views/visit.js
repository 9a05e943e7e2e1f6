// Log a visit or call: summary, next step, next follow-up date, optional GPS position.
// Saved as an activity (append-only) and, with a date, a follow-up — both via the outbox.

import { $, html, render, formValues, toast } from '../dom.js';
import { t, fmtNumber } from '../i18n.js';
import { getRecord } from '../store.js';
import { ACTIVITY_KINDS } from '../refdata.js';
import { saveChange } from '../outbox.js';
import { changed, guardedSave } from '../sync.js';
import { cleanText } from '../validate.js';
import { session } from '../session.js';
import { navigate } from '../main.js';

/** "YYYY-MM-DDTHH:mm" in local time, for datetime-local inputs. */
function localInputValue(date = new Date()) {
  const shifted = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return shifted.toISOString().slice(0, 16);
}

/** @param {HTMLElement} main @param {string[]} params */
export default async function visit(main, [customerId]) {
  const customer = await getRecord('customer', customerId);
  if (!customer) {
    render(main, html`<p class="notice warn">${t('customer.not_found')}</p>`);
    return;
  }
  /** @type {{latitude: number, longitude: number}|null} */
  let position = null;
  render(main, html`
    <a href="#/customers/${customerId}" class="small">← ${customer.values.name}</a>
    <h1>${t('visit.title')}</h1>
    <form id="visit-form" novalidate>
      <fieldset class="field"><legend class="label">${t('field.activity_kind')}</legend>
        <div class="row">${ACTIVITY_KINDS.map((k, i) => html`<label class="check"><input type="radio" name="kind" value="${k}" ${i === 0 ? 'checked' : ''}> ${t(`activity.${k}`)}</label>`)}</div>
      </fieldset>
      <div class="field"><label for="v-occurred">${t('field.occurred_at')}</label>
        <input id="v-occurred" name="occurred_at" type="datetime-local" value="${localInputValue()}" required></div>
      <div class="field"><label for="v-summary">${t('field.summary')}<span class="req" aria-hidden="true">*</span></label>
        <textarea id="v-summary" name="summary" required maxlength="2000" aria-describedby="err-summary"></textarea>
        <span class="msg" id="err-summary" aria-live="polite"></span></div>
      <div class="field"><label for="v-next">${t('field.next_step')}</label>
        <input id="v-next" name="next_step" maxlength="500"></div>
      <div class="field"><label for="v-followup">${t('field.next_followup')}</label>
        <input id="v-followup" name="follow_up" type="date"></div>
      <div class="field"><label for="v-location">${t('field.location')}</label>
        <input id="v-location" name="location" maxlength="200"></div>
      <label class="check"><input type="checkbox" id="v-geo" name="use_location"> ${t('field.use_location')}</label>
      <p class="small muted" id="geo-status" aria-live="polite"></p>
      <div class="actions">
        <button class="btn primary" type="submit">${t('common.save')}</button>
        <a class="btn" href="#/customers/${customerId}">${t('common.cancel')}</a>
      </div>
    </form>`);
  const form = /** @type {HTMLFormElement} */ ($('#visit-form', main));
  const geoStatus = /** @type {HTMLElement} */ ($('#geo-status', main));

  $('#v-geo', main)?.addEventListener('change', (event) => {
    position = null;
    if (!(/** @type {HTMLInputElement} */ (event.target).checked)) { geoStatus.textContent = ''; return; }
    if (!navigator.geolocation) { geoStatus.textContent = t('visit.location_failed', { message: '—' }); return; }
    geoStatus.textContent = t('visit.locating');
    navigator.geolocation.getCurrentPosition(
      (pos) => {
        position = { latitude: round6(pos.coords.latitude), longitude: round6(pos.coords.longitude) };
        geoStatus.textContent = t('visit.located', {
          lat: fmtNumber(position.latitude, { maximumFractionDigits: 5 }),
          lon: fmtNumber(position.longitude, { maximumFractionDigits: 5 }),
        });
      },
      (error) => { geoStatus.textContent = t('visit.location_failed', { message: error.message }); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const v = formValues(form);
    const summary = cleanText(v.summary);
    const msg = /** @type {HTMLElement} */ ($('#err-summary', form));
    const summaryInput = /** @type {HTMLElement} */ ($('#v-summary', form));
    if (!summary) {
      msg.textContent = t('error.required');
      summaryInput.setAttribute('aria-invalid', 'true');
      summaryInput.focus();
      return;
    }
    const occurred = v.occurred_at ? new Date(v.occurred_at) : new Date();
    const owner = { id: session.user.id, name: session.user.display_name };
    /** @type {Record<string, any>} */
    const activity = {
      customer_id: customerId,
      kind: v.kind || 'visit',
      occurred_at: (Number.isNaN(occurred.getTime()) ? new Date() : occurred).toISOString(),
      summary,
      next_step: cleanText(v.next_step) || null,
      location: cleanText(v.location) || null,
    };
    if (position) Object.assign(activity, position);
    const saved = await guardedSave(async () => {
      await saveChange('activity', crypto.randomUUID(), activity, { owner });
      if (v.follow_up) await saveFollowUp(v.follow_up, activity, summary, owner);
    });
    if (!saved) return;
    await changed();
    toast(t('visit.saved') + (navigator.onLine ? '' : ' ' + t('common.saved_offline')));
    navigate(`#/customers/${customerId}`);
  });
  /** @type {HTMLElement} */ ($('#v-summary', main)).focus();

  /** A follow-up at 09:00 local time on the chosen day. */
  async function saveFollowUp(date, activity, summary, owner) {
    const [y, m, d] = date.split('-').map(Number);
    await saveChange('follow_up', crypto.randomUUID(), {
      customer_id: customerId,
      title: (activity.next_step || summary).slice(0, 200),
      due_at: new Date(y, m - 1, d, 9, 0, 0).toISOString(),
      done_at: null,
    }, { owner });
  }
}

const round6 = (n) => Math.round(n * 1e6) / 1e6;
