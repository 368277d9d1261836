import { moneyText } from '../contracts/rules.ts';

/** Pence as pounds for a page, with a minus sign when negative (an overspent line's remaining). */
export const signedMoney = (pence: number) => (pence < 0 ? `−${moneyText(-pence)}` : moneyText(pence));
