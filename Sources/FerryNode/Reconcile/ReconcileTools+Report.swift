public import FerryReconcile

extension ReconcileTools {
    /// What a reconcile found (`ReconcileReport` in FerryReconcile, whose protocol makes it).
    public typealias Report = ReconcileReport
    public typealias Changed = ReconcileReport.Changed
    public typealias FieldDifference = ReconcileReport.FieldDifference
}
