"""Statistics as a by-product of clearance: the conventions, stated once and tested.

- **Growth** is computed from unrounded totals, as a percentage rounded half-up to one decimal
  (838.6 -> 2,920.0 is +248.2%). With no trade in the base period growth is *not applicable*
  (`None`), never infinity or zero.
- **Counting date**: a released declaration counts on its release date (the default) or on its
  lodgement date; the bulletin states which.
- **Currency conversion**: each invoice value is converted at the rate of its release date
  (the latest rate published on or before it) or at the monthly average of the daily rates of
  the month it counts in; the bulletin states which.
- **Time Release Study** (WCO method): a declaration's clock starts when the truck arrives at the
  border (or at lodgement when no arrival is recorded) and stops at release; each stage is
  measured from the previous stage that happened. A declaration lodged before the truck arrived
  is *pre-lodged*; events that happen before the stage they follow count as zero and are
  flagged as out of order. Declarations not yet released are *open*, counted, never dropped.
"""
